import Foundation

/// A vendor's call budget, e.g. 60 per minute: at most `count` calls in any `period`, and no
/// more than `count` at once.
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
/// trainer on any machine): a generic cell rate algorithm per limit, in one Lua script that
/// takes Redis's clock, so a call passes every limit or is charged to none.
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

    /// Takes one call from every limit, or says how long until one would pass.
    public func acquire() async throws -> Duration? {
        guard !limits.isEmpty else { return nil }
        let keys = limits.map { RedisArgument(self.keys.marketData("limit", "\(vendor):\($0.count)/\($0.period.components.seconds)")) }
        // Per limit: the interval between calls and how far ahead of it a burst may run (ms).
        let arguments = limits.flatMap { limit -> [RedisArgument] in
            let interval = Double(limit.period.components.seconds) * 1000 / Double(limit.count)
            return [RedisArgument(String(interval)), RedisArgument(String(interval * Double(limit.count - 1)))]
        }
        let reply = try await redis.evaluate(Self.script, keys: keys, arguments: arguments)
        guard case .integer(let wait) = reply else { throw RedisError.unexpectedReply(command: "EVALSHA rate limit", reply: "\(reply)") }
        return wait == 0 ? nil : .milliseconds(wait)
    }

    /// KEYS: one per limit, holding its theoretical arrival time (ms). ARGV: per limit, the
    /// emission interval and the burst tolerance (ms). Returns 0 when the call is taken, else
    /// the milliseconds until it would be.
    static let script = RedisScript("""
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    local wait = 0
    local next = {}
    for i, key in ipairs(KEYS) do
      local interval = tonumber(ARGV[2 * i - 1])
      local tolerance = tonumber(ARGV[2 * i])
      local tat = tonumber(redis.call('GET', key) or now)
      if tat < now then tat = now end
      local allowed = tat - tolerance
      if now < allowed then
        wait = math.max(wait, math.ceil(allowed - now))
      end
      next[i] = tat + interval
    end
    if wait > 0 then return wait end
    for i, key in ipairs(KEYS) do
      redis.call('SET', key, string.format('%.3f', next[i]), 'PX', math.ceil(next[i] - now) + 1000)
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

    public init(_ base: any MarketDataProvider, limiter: OutboundRateLimiter, patience: Duration = .seconds(2)) {
        self.base = base
        self.limiter = limiter
        self.patience = patience
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
                throw ProviderError.rateLimited(provider: name, detail: "our budget of \(limiter.limits.map(\.description).joined(separator: ", ")) is used up for the next \(wait)")
            }
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
