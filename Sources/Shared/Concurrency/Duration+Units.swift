extension Duration {
    /// The duration in (fractional) milliseconds, for logs, timeouts handed to C APIs and reports.
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    /// Whole milliseconds, as Redis arguments (BLOCK, MAXLEN idle times) take them.
    public var wholeMilliseconds: Int64 { Int64(milliseconds) }
}
