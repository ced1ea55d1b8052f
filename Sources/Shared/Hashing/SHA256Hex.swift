import Crypto

/// Lower-case hex of bytes (digests), the form S3 headers, migration checksums, throttle keys
/// and Redis script ids use.
public enum Hex {
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Lower-case hex SHA-256.
public enum SHA256Hex {
    public static func of(_ bytes: [UInt8]) -> String { Hex.lowercase(SHA256.hash(data: bytes)) }
    public static func of(_ text: String) -> String { of(Array(text.utf8)) }
}
