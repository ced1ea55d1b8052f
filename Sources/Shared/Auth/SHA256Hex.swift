import Crypto

public enum SHA256Hex {
    /// Lower-case hex SHA-256 of the UTF-8 text.
    public static func of(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }
}
