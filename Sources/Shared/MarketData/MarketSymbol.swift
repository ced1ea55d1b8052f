/// A ticker as StockHub accepts it: 1-10 of `A-Z 0-9 . -`, upper-cased. Anything else is refused
/// before it reaches a cache key, a queue or a provider.
public enum MarketSymbol {
    public static func parse(_ text: String) throws(SymbolError) -> String {
        // Checked before upper-casing: Unicode case mapping turns "ı" into "I" and "ß" into "SS".
        guard (1...10).contains(text.unicodeScalars.count),
              text.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "-") })
        else { throw SymbolError(symbol: String(text.prefix(20))) }
        return text.uppercased()
    }
}

public struct SymbolError: Error, Sendable, Equatable, CustomStringConvertible {
    public let symbol: String
    public var description: String { "\"\(symbol)\" is not a symbol: use 1-10 of A-Z 0-9 . -" }
}
