extension JobQueue {
    /// The queue's size at one moment, for `/metrics`.
    public struct Gauges: Sendable, Equatable {
        public var depth: Int
        public var pending: Int
        public var delayed: Int
        public var deadLetters: Int
        /// How old the oldest unacknowledged delivery's entry is (zero when none is pending).
        public var oldestPendingAge: Duration
    }

    /// Read at scrape time in one pipelined round trip of O(1) commands (XLEN, ZCARD, the XPENDING
    /// summary, which is O(consumers)): a scrape never walks the jobs, however many there are.
    public func gauges(timeout: Duration = .seconds(1)) async throws -> Gauges {
        let replies = try await redis.pipeline([
            ["XLEN", RedisArgument(keys.stream)],
            ["XPENDING", RedisArgument(keys.stream), RedisArgument(keys.group)],
            ["ZCARD", RedisArgument(keys.delayed)],
            ["XLEN", RedisArgument(keys.deadLetters)],
        ], timeout: timeout)
        // XPENDING summary: [count, smallest id, largest id, consumers]; an error (no group yet) is "none".
        let summary = replies[1].array ?? []
        let pending = summary.first?.int ?? 0
        // Entry ids start with their creation time in milliseconds.
        let oldest = pending > 0 ? summary[1].string?.split(separator: "-").first.flatMap { Int64($0) } : nil
        return Gauges(depth: replies[0].int ?? 0, pending: pending, delayed: replies[2].int ?? 0, deadLetters: replies[3].int ?? 0,
                      oldestPendingAge: oldest.map { .milliseconds(max(0, Self.nowMilliseconds() - $0)) } ?? .zero)
    }
}
