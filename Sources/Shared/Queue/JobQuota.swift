import Foundation

/// How many jobs one user may create per window (`JOB_QUOTA`), counted across every web
/// process through Redis. A sliding log per limit, the same atomic check-and-take as the
/// vendors' outbound budgets (`OutboundRateLimiter.script`): a request passes every limit or
/// is charged to none, and the wait it is told is exact, not a fixed window's reset.
public struct JobQuota: Sendable {
    public let limits: [RateLimit]
    let redis: RedisClient
    let keys: RedisKeys

    public init(limits: [RateLimit], redis: RedisClient, keys: RedisKeys) {
        self.limits = limits
        self.redis = redis
        self.keys = keys
    }

    /// Charges one job to `user`; nil when taken, else how long until one would pass.
    public func take(user: String) async throws -> Duration? {
        guard !limits.isEmpty else { return nil }
        let keys = limits.map { RedisArgument(self.keys.jobQuota(user: user, limit: "\($0.count)/\($0.period.components.seconds)")) }
        let arguments = limits.flatMap { limit -> [RedisArgument] in
            [RedisArgument(String(Int(limit.period / .milliseconds(1)))), RedisArgument(String(limit.count))]
        } + [RedisArgument(UUID().uuidString)]
        let reply = try await redis.evaluate(OutboundRateLimiter.script, keys: keys, arguments: arguments)
        guard case .integer(let wait) = reply else { throw RedisError.unexpectedReply(command: "EVALSHA job quota", reply: "\(reply)") }
        return wait == 0 ? nil : .milliseconds(wait)
    }
}
