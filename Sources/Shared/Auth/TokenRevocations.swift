import Foundation

/// Logged-out tokens, by `jti`, kept in Redis until the moment the token would expire anyway,
/// so the list never grows beyond the tokens still alive.
public struct TokenRevocations: Sendable {
    let redis: RedisClient

    public init(redis: RedisClient) { self.redis = redis }

    public func revoke(_ claims: AccessClaims, now: Date = Date()) async throws {
        let remaining = Int(claims.exp.value.timeIntervalSince(now).rounded(.up)) + 60  // + verification leeway
        guard remaining > 0 else { return }
        try await redis.command("SET", RedisArgument(RedisKeys.revokedToken(claims.jti.value)), "1", "EX", RedisArgument(remaining))
    }

    public func isRevoked(_ claims: AccessClaims) async throws -> Bool {
        try await redis.command("EXISTS", RedisArgument(RedisKeys.revokedToken(claims.jti.value))).int == 1
    }
}
