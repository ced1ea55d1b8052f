import Foundation

/// Fixed-window counters in Redis: at most `limit` events per key per `window`. Shared by every
/// web process, so scaling `web` does not multiply an attacker's budget.
public struct AttemptThrottle: Sendable {
    public let limit: Int
    public let window: Int
    let redis: RedisClient

    public init(redis: RedisClient, limit: Int, windowSeconds: Int) {
        self.redis = redis
        self.limit = limit
        self.window = windowSeconds
    }

    /// Seconds until the first exhausted key frees up, or nil when every key is under its limit.
    public func retryAfter(_ keys: [String]) async throws -> Int? {
        let replies = try await redis.pipeline(keys.flatMap { key -> [[RedisArgument]] in
            [["GET", RedisArgument(key)], ["TTL", RedisArgument(key)]]
        })
        var wait: Int?
        for index in stride(from: 0, to: replies.count, by: 2) where (replies[index].int ?? 0) >= limit {
            let ttl = max(1, replies[index + 1].int ?? window)
            wait = max(wait ?? 0, ttl)
        }
        return wait
    }

    /// Counts one event against each key; the window starts with a key's first event.
    public func record(_ keys: [String]) async throws {
        _ = try await redis.pipeline(keys.flatMap { key -> [[RedisArgument]] in
            [["INCR", RedisArgument(key)], ["EXPIRE", RedisArgument(key), RedisArgument(window), "NX"]]
        })
    }

    public func reset(_ keys: [String]) async throws {
        guard !keys.isEmpty else { return }
        try await redis.command(["DEL"] + keys.map { RedisArgument($0) })
    }
}
