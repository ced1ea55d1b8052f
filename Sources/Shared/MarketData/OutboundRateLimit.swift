import Foundation

/// A vendor's call budget, e.g. 60 per minute: at most `count` calls in any `period`.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public let count: Int
    public let period: Duration

    public init(count: Int, period: Duration) {
        precondition(count >= 1 && period > .zero, "a limit allows at least one call per positive period")
        self.count = count
        self.period = period
    }

    /// "60/min", "30/s", "25/day" (also "/hour"); a list is comma-separated.
    public static func parseList(_ text: String) throws(RateLimitSyntaxError) -> [RateLimit] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { item throws(RateLimitSyntaxError) in
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "/")
            let periods: [String: Duration] = ["s": .seconds(1), "sec": .seconds(1), "min": .seconds(60), "hour": .seconds(3600), "day": .seconds(86400)]
            guard parts.count == 2, let count = Int(parts[0]), count >= 1, let period = periods[String(parts[1])] else {
                throw RateLimitSyntaxError(text: String(item))
            }
            return RateLimit(count: count, period: period)
        }
    }

    public var description: String {
        let unit = [(86400, "day"), (3600, "hour"), (60, "min"), (1, "s")].first { Int(period.components.seconds) == $0.0 }?.1
        return unit.map { "\(count)/\($0)" } ?? "\(count) per \(period)"
    }
}

public struct RateLimitSyntaxError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public var description: String { "expected COUNT/s, COUNT/min, COUNT/hour or COUNT/day (comma-separated), got \"\(text)\"" }
}

/// Calls to one vendor, counted across every process that shares the Redis (web, workers and
/// trainer on any machine): per limit, a log of the calls in its window (a sorted set), checked
/// and written in one Lua script that takes Redis's clock, so a call passes every limit or is
/// charged to none.
///
/// A log rather than a token bucket or GCRA: those allow a full burst and then the steady rate,
/// which puts up to twice the count into one window (119 calls in a minute under 60/min),
/// and vendors count calls per window. Each window is also a little longer than the vendor's
/// (`grace`), so calls that reach the vendor later than others do not land in one window there.
public struct OutboundRateLimiter: Sendable {
    public let vendor: String
    public let limits: [RateLimit]
    let redis: RedisClient
    let keys: RedisKeys

    public init(vendor: String, limits: [RateLimit], redis: RedisClient, keys: RedisKeys) {
        self.vendor = vendor
        self.limits = limits
        self.redis = redis
        self.keys = keys
    }

    /// The window a limit is counted over here: the vendor's plus a tenth of it (at most 2 s).
    public static func window(_ limit: RateLimit) -> Duration {
        limit.period + min(limit.period / 10, .seconds(2))
    }

    /// Takes one call from every limit, or says how long until one would pass.
    public func acquire() async throws -> Duration? {
        try await Self.take(redis, limits.map { limit in
            (key: keys.marketData("calls", "\(vendor):\(limit.count)/\(limit.period.components.seconds)"), window: Self.window(limit), count: limit.count)
        }, what: "rate limit")
    }

    /// Takes one call from every log (at most `count` calls in its `window`), or says how long
    /// until one would pass: the one check-and-take behind outbound budgets and job quotas.
    static func take(_ redis: RedisClient, _ logs: [(key: String, window: Duration, count: Int)], what: String) async throws -> Duration? {
        guard !logs.isEmpty else { return nil }
        // Per log: its window (ms) and count; then this call's name in the logs.
        let arguments = logs.flatMap { log -> [RedisArgument] in
            [RedisArgument(String(Int(log.window / .milliseconds(1)))), RedisArgument(String(log.count))]
        } + [RedisArgument(UUID().uuidString)]
        let reply = try await redis.evaluate(script, keys: logs.map { RedisArgument($0.key) }, arguments: arguments)
        guard case .integer(let wait) = reply else { throw RedisError.unexpectedReply(command: "EVALSHA \(what)", reply: "\(reply)") }
        return wait == 0 ? nil : .milliseconds(wait)
    }

    /// KEYS: one sorted set per limit, the calls in its window scored by time (ms). ARGV: per
    /// limit, the window (ms) and the count; last, the call's unique name. Returns 0 when the
    /// call is taken, else the milliseconds until the call that frees a place leaves its window.
    static let script = RedisScript("""
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    local wait = 0
    for i, key in ipairs(KEYS) do
      local window = tonumber(ARGV[2 * i - 1])
      local count = tonumber(ARGV[2 * i])
      redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
      local calls = redis.call('ZCARD', key)
      if calls >= count then
        local leaving = redis.call('ZRANGE', key, calls - count, calls - count, 'WITHSCORES')
        wait = math.max(wait, tonumber(leaving[2]) + window - now)
      end
    end
    if wait > 0 then return wait end
    for i, key in ipairs(KEYS) do
      redis.call('ZADD', key, now, ARGV[#ARGV])
      redis.call('PEXPIRE', key, tonumber(ARGV[2 * i - 1]) + 1000)
    end
    return 0
    """)
}

/// A vendor provider that waits for its shared budget: a call that would pass within
/// `patience` waits for it; one that would not ends as `rateLimited` (the chain moves on to the
/// next provider or a stale value) without reaching the vendor.
public struct RateLimitedProvider: MarketDataProvider {
    let base: any MarketDataProvider
    let limiter: OutboundRateLimiter
    let patience: Duration
    let metrics: StockHubMetrics?

    public init(_ base: any MarketDataProvider, limiter: OutboundRateLimiter, patience: Duration = .seconds(2), metrics: StockHubMetrics? = nil) {
        self.base = base
        self.limiter = limiter
        self.patience = patience
        self.metrics = metrics
    }

    public var name: String { base.name }

    private func admitted() async throws {
        var waited = Duration.zero
        while true {
            let wait: Duration?
            do { wait = try await limiter.acquire() } catch {
                // Without Redis the budget cannot be shared; a call is the vendor's to refuse.
                return
            }
            guard let wait else { return }
            guard waited + wait <= patience else {
                metrics?.rateLimitRefused(name)
                throw ProviderError.rateLimited(provider: name, detail: "our budget of \(limiter.limits.map(\.description).joined(separator: ", ")) is used up for the next \(wait)")
            }
            metrics?.rateLimitWaited(name, for: wait)
            try await Task.sleep(for: wait)
            waited += wait
        }
    }

    public func daily(_ symbol: String) async throws -> DailySeries { try await admitted(); return try await base.daily(symbol) }
    public func quote(_ symbol: String) async throws -> Quote { try await admitted(); return try await base.quote(symbol) }
    public func intraday(_ symbol: String) async throws -> [PricePoint] { try await admitted(); return try await base.intraday(symbol) }
    public func overview(_ symbol: String) async throws -> CompanyOverview { try await admitted(); return try await base.overview(symbol) }
    public func news(symbol: String?) async throws -> [NewsArticle] { try await admitted(); return try await base.news(symbol: symbol) }
}
