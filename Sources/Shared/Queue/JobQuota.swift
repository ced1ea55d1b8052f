import Foundation

/// How many jobs one user may create per window (`JOB_QUOTA`), counted across every web
/// process through Redis. A sliding log per limit, the same atomic check-and-take as the
/// vendors' outbound budgets (`OutboundRateLimiter.take`): a request passes every limit or
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
        try await OutboundRateLimiter.take(redis, limits.map { limit in
            (key: keys.jobQuota(user: user, limit: "\(limit.count)/\(limit.period.components.seconds)"), window: limit.period, count: limit.count)
        }, what: "job quota")
    }
}
