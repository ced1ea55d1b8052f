import Crypto

/// A Lua script sent by its SHA-1 (EVALSHA) once the server knows it, by its text (EVAL) the
/// first time and after a server restart or SCRIPT FLUSH (NOSCRIPT).
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Hex.lowercase(Insecure.SHA1.hash(data: Array(source.utf8)))
    }
}

extension RedisClient {
    @discardableResult
    public func evaluate(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) async throws -> RedisValue {
        let tail = [RedisArgument(keys.count)] + keys + arguments
        do {
            return try await command(["EVALSHA", RedisArgument(script.sha1)] + tail)
        } catch RedisError.replyError(_, let message) where message.hasPrefix("NOSCRIPT") {
            return try await command(["EVAL", RedisArgument(script.source)] + tail)
        }
    }
}
