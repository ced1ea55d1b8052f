import Foundation

/// Logged-out tokens, by `jti`, kept in Redis until the moment the token would expire anyway,
/// so the list never grows beyond the tokens still alive.
///
/// Each revocation is written three ways in one round trip: the per-token key (the source of
/// truth for the per-request check), a sorted-set index scored by expiry (what a
/// `RevocationWatcher` loads when it (re)subscribes), and a pub/sub message (what keeps every
/// watcher current). With a synced watcher, `isRevoked` answers from memory.
public struct TokenRevocations: Sendable {
    let redis: RedisClient
    let keys: RedisKeys
    let watcher: RevocationWatcher?

    public init(redis: RedisClient, keys: RedisKeys, watcher: RevocationWatcher? = nil) {
        self.redis = redis
        self.keys = keys
        self.watcher = watcher
    }

    public func revoke(_ claims: AccessClaims, now: Date = Date()) async throws {
        let remaining = Int(claims.exp.value.timeIntervalSince(now).rounded(.up)) + 60  // + verification leeway
        guard remaining > 0 else { return }
        let jti = claims.jti.value
        let until = now.addingTimeInterval(TimeInterval(remaining))
        let expiry = String(Int(until.timeIntervalSince1970.rounded(.up)))
        let replies = try await redis.pipeline([
            ["SET", RedisArgument(keys.revokedToken(jti)), "1", "EX", RedisArgument(remaining)],
            ["ZADD", RedisArgument(keys.revokedIndex), RedisArgument(expiry), RedisArgument(jti)],
            // Trimmed here so the index stays as small as the set of live revoked tokens.
            ["ZREMRANGEBYSCORE", RedisArgument(keys.revokedIndex), "-inf", RedisArgument("(" + String(Int(now.timeIntervalSince1970)))],
            ["PUBLISH", RedisArgument(keys.revocationChannel), RedisArgument("\(jti) \(expiry)")],
        ])
        for (reply, command) in zip(replies, ["SET", "ZADD", "ZREMRANGEBYSCORE", "PUBLISH"]) {
            if case .error(let message) = reply { throw RedisError.replyError(command: command, message: message) }
        }
        watcher?.note(jti, until: until)
    }

    public func isRevoked(_ claims: AccessClaims) async throws -> Bool {
        if let known = watcher?.lookup(claims.jti.value) { return known }
        return try await redis.command("EXISTS", RedisArgument(keys.revokedToken(claims.jti.value))).int == 1
    }
}
