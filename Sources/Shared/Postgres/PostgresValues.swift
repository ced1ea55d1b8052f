import Foundation

/// How a parameter travels: text for most types, binary for bytea (no escaping at all).
public enum PostgresParameter: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
    case null
}

/// A Swift value that can be bound to `$n` in a statement.
public protocol PostgresEncodable: Sendable {
    func postgresParameter() throws(PostgresError) -> PostgresParameter
}

extension String: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter {
        // libpq passes text parameters as C strings: a NUL would silently cut the value short.
        guard !utf8.contains(0) else {
            throw .invalidParameter(index: 0, reason: "contains a NUL byte (0x00), which PostgreSQL text cannot store")
        }
        return .text(self)
    }
}
extension Int: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter { .text(String(self)) }
}
extension Int32: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter { .text(String(self)) }
}
extension Int64: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter { .text(String(self)) }
}
extension Double: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter {
        guard isFinite else { return .text(isNaN ? "NaN" : (self > 0 ? "Infinity" : "-Infinity")) }
        return .text("\(self)")
    }
}
extension Bool: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter { .text(self ? "t" : "f") }
}
extension UUID: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter { .text(uuidString) }
}
extension Date: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter {
        // Microseconds, Postgres's own resolution (ISO8601FormatStyle stops at milliseconds).
        let microseconds = Int64((timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = time_t(microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000)
        let fraction = microseconds - Int64(seconds) * 1_000_000
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let text = String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                          parts.tm_hour, parts.tm_min, parts.tm_sec, fraction)
        return .text(text)
    }
}
extension Array: PostgresEncodable where Element == UInt8 {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter { .binary(self) }
}
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public func postgresParameter() throws(PostgresError) -> PostgresParameter {
        guard let self else { return .null }
        return try self.postgresParameter()
    }
}

/// One field of a result row, in libpq's text format.
public struct PostgresCell: Sendable {
    /// The column's type OID (e.g. 23 int4, 25 text, 1184 timestamptz).
    public let typeOID: UInt32
    /// nil for SQL NULL.
    public let bytes: [UInt8]?

    public var text: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}

/// A Swift type a column can be decoded into.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL cell; throw `DecodingFailure` with a reason.
    static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> Self
    /// What a NULL cell decodes to; nil means NULL is an error for this type.
    static var decodedNull: Self? { get }
}

public struct PostgresDecodingFailure: Error { public let reason: String; public init(_ reason: String) { self.reason = reason } }

extension PostgresDecodable {
    public static var decodedNull: Self? { nil }
}

extension String: PostgresDecodable {
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> String { text }
}
extension Int: PostgresDecodable {
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> Int {
        guard let value = Int(text) else { throw PostgresDecodingFailure("\"\(text)\" is not an integer") }
        return value
    }
}
extension Int64: PostgresDecodable {
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> Int64 {
        guard let value = Int64(text) else { throw PostgresDecodingFailure("\"\(text)\" is not an integer") }
        return value
    }
}
extension Double: PostgresDecodable {
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> Double {
        guard let value = Double(text) else { throw PostgresDecodingFailure("\"\(text)\" is not a number") }
        return value
    }
}
extension Bool: PostgresDecodable {
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> Bool {
        switch text {
        case "t": return true
        case "f": return false
        default: throw PostgresDecodingFailure("\"\(text)\" is not a boolean")
        }
    }
}
extension UUID: PostgresDecodable {
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> UUID {
        guard let value = UUID(uuidString: text) else { throw PostgresDecodingFailure("\"\(text)\" is not a UUID") }
        return value
    }
}
extension Date: PostgresDecodable {
    /// Parses timestamptz text as the server sends it with TimeZone=UTC:
    /// `2026-11-21 09:30:00.123456+00`.
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> Date {
        // Fixed layout: YYYY-MM-DD HH:MM:SS[.ffffff][+00]
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int32? {
            guard range.upperBound <= bytes.count else { return nil }
            return Int32(String(decoding: bytes[range], as: UTF8.self))
        }
        guard bytes.count >= 19, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { throw PostgresDecodingFailure("\"\(text)\" is not a UTC timestamp") }
        var tmValue = tm()
        tmValue.tm_year = year - 1900
        tmValue.tm_mon = month - 1
        tmValue.tm_mday = day
        tmValue.tm_hour = hour
        tmValue.tm_min = minute
        tmValue.tm_sec = second
        var seconds = Double(timegm(&tmValue))
        if bytes.count > 20, bytes[19] == UInt8(ascii: ".") {
            let digits = bytes[20...].prefix(while: { $0 >= 48 && $0 <= 57 })
            if let fraction = Double("0." + String(decoding: digits, as: UTF8.self)) { seconds += fraction }
        }
        return Date(timeIntervalSince1970: seconds)
    }
}
extension Array: PostgresDecodable where Element == UInt8 {
    /// bytea in text format is `\x` followed by hex digits.
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> [UInt8] {
        guard text.hasPrefix("\\x") else { throw PostgresDecodingFailure("bytea not in hex format") }
        let hex = Array(text.utf8.dropFirst(2))
        guard hex.count % 2 == 0 else { throw PostgresDecodingFailure("odd-length bytea hex") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var index = 0
        while index < hex.count {
            guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw PostgresDecodingFailure("bad bytea hex")
            }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }
}
extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgres cell: PostgresCell, text: String) throws(PostgresDecodingFailure) -> Wrapped? {
        try Wrapped.decode(postgres: cell, text: text)
    }
    public static var decodedNull: Wrapped?? { .some(nil) }
}

/// A result row; columns are looked up by name.
public struct PostgresRow: Sendable {
    public let columns: [String]
    public let cells: [PostgresCell]

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws(PostgresError) -> T {
        guard let index = columns.firstIndex(of: column) else {
            throw .decoding(column: column, reason: "no such column (have \(columns.joined(separator: ", ")))")
        }
        let cell = cells[index]
        guard let text = cell.text else {
            guard let null = T.decodedNull else { throw .decoding(column: column, reason: "is NULL but \(T.self) is not optional") }
            return null
        }
        do {
            return try T.decode(postgres: cell, text: text)
        } catch {
            throw .decoding(column: column, reason: "\(error.reason) (as \(T.self))")
        }
    }
}

/// The rows a statement returned and how many rows it affected.
public struct PostgresResult: Sendable {
    public let rows: [PostgresRow]
    public let affectedRows: Int
}
