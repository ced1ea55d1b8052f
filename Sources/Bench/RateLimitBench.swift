import ArgumentParser
import Foundation
import Shared

/// One process's share of a vendor budget shared through Redis: asks `attempts` times and
/// prints how many calls passed, the time it took and the round trip per ask. Several of these
/// started at once are the cross-process test of the limiter.
struct RateLimitBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rate-limit",
                                                    abstract: "Asks a shared outbound budget ATTEMPTS times; prints the calls that passed.")

    @Option(help: "Vendor name (the budget's key).") var vendor = "bench"
    @Option(help: "Budget, e.g. 5/s or 60/min,30/s.") var limits = "5/s"
    @Option(help: "Asks to make.") var attempts = 60

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let endpoint = try RedisEndpoint(url: environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0")
        let redis = RedisClient(settings: RedisClientSettings(endpoint: endpoint, poolSize: 2))
        let limiter = OutboundRateLimiter(vendor: vendor, limits: try RateLimit.parseList(limits), redis: redis,
                                          keys: RedisKeys(namespace: environment["REDIS_NAMESPACE"] ?? "stockhub"))
        let clock = ContinuousClock()
        let start = clock.now
        var passed = 0
        for _ in 0..<attempts where try await limiter.acquire() == nil { passed += 1 }
        let elapsed = clock.now - start
        let perAsk = elapsed / .milliseconds(1) / Double(max(attempts, 1))
        print("passed \(passed) of \(attempts) in \(elapsed) (\(String(format: "%.3f", perAsk)) ms per ask)")
        await redis.shutdown()
    }
}
