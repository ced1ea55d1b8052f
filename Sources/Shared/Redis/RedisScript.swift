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

/// One run of a script with its keys and arguments, for sending several in one round trip.
public struct RedisScriptCall: Sendable {
    public let script: RedisScript
    public let keys: [RedisArgument]
    public let arguments: [RedisArgument]

    public init(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) {
        self.script = script
        self.keys = keys
        self.arguments = arguments
    }

    fileprivate func command(byText: Bool) -> [RedisArgument] {
        let head: [RedisArgument] = byText ? ["EVAL", RedisArgument(script.source)] : ["EVALSHA", RedisArgument(script.sha1)]
        return head + [RedisArgument(keys.count)] + keys + arguments
    }
}

extension RedisClient {
    @discardableResult
    public func evaluate(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) async throws -> RedisValue {
        let reply = try await evaluate([RedisScriptCall(script, keys: keys, arguments: arguments)])[0]
        if case .error(let message) = reply { throw RedisError.replyError(command: "EVALSHA", message: message) }
        return reply
    }

    /// Runs the scripts pipelined: one round trip for all of them. Each script is still atomic
    /// on its own; the batch as a whole is not (other clients' commands may run in between), and
    /// after a connection failure any prefix of the batch may have run. Error replies come back
    /// in place. Calls the server answers NOSCRIPT for did not run; they are sent again by text
    /// in a second round trip, so do not put two calls whose order matters in one batch.
    public func evaluate(_ calls: [RedisScriptCall]) async throws -> [RedisValue] {
        var replies = try await pipeline(calls.map { $0.command(byText: false) })
        let forgotten = replies.indices.filter { if case .error(let message) = replies[$0] { message.hasPrefix("NOSCRIPT") } else { false } }
        guard !forgotten.isEmpty else { return replies }
        // The first EVAL of a script loads it; the rest of the same script can go by SHA again.
        var loaded: Set<String> = []
        let resent = forgotten.map { index in
            let call = calls[index]
            return call.command(byText: loaded.insert(call.script.sha1).inserted)
        }
        for (index, reply) in zip(forgotten, try await pipeline(resent)) { replies[index] = reply }
        return replies
    }
}
