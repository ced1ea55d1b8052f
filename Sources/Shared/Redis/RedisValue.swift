/// A reply from Redis, typed as RESP2 types it (hiredis 0.14 speaks RESP2).
public enum RedisValue: Sendable, Equatable {
    /// `+OK` style status replies.
    case status(String)
    /// Bulk strings: binary-safe bytes.
    case bulk([UInt8])
    case integer(Int64)
    case array([RedisValue])
    case null
    /// An error reply (`-ERR ...`). Single commands throw `RedisError.replyError` instead;
    /// pipelines return it in place so the other replies are not lost.
    case error(String)

    /// Status or bulk reply as text (bulk bytes decoded as UTF-8); nil for other types.
    public var string: String? {
        switch self {
        case .status(let text): text
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// Integer replies, or bulk replies that hold a decimal integer (as GET returns counters).
    public var int: Int? {
        switch self {
        case .integer(let value): Int(value)
        case .bulk: string.flatMap { Int($0) }
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// A flat `[name, value, name, value, …]` array (HGETALL, stream entry fields) as a dictionary.
    public var fieldMap: [String: String] {
        guard let values = array else { return [:] }
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: values.count - 1, by: 2) {
            if let name = values[index].string { fields[name] = values[index + 1].string }
        }
        return fields
    }
}

/// One argument of a Redis command, as the bytes sent on the wire.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }
    public init<Number: BinaryInteger>(_ number: Number) { self.bytes = Array(String(number).utf8) }
    public init(_ number: Double) { self.bytes = Array(String(number).utf8) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }
}
