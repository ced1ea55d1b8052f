import Foundation

/// The JSON style of everything StockHub serves or stores for clients (responses, problem
/// documents, job events, forecast documents): keys sorted for stable bytes, slashes left
/// alone, dates as ISO 8601. Written once; key names are spelled out by each type.
public enum APIJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
