import Crypto

/// Lower-case hex SHA-256, the form S3 headers, migration checksums and throttle keys use.
public enum SHA256Hex {
    public static func of(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func of(_ text: String) -> String { of(Array(text.utf8)) }
}
