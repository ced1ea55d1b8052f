import Foundation

/// The provider chain behind a Redis cache (DESIGN.md's lifetimes: daily closes 30 min, quotes
/// 10 min, intraday 60 s, news 12 h; overviews a day). Equal requests while a value is being
/// fetched share that one provider call: in one process through `SingleFlight`, across
/// processes through a short Redis lock whose holder fetches while the others wait for its
/// answer (a few seconds at most, then they ask themselves). An answer is kept for a week past its
/// freshness, so that when every provider fails the last one is served, marked stale with its
/// age. Redis being down costs the cache, never the answer.
public struct MarketDataCache: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case daily, quote, intraday, overview, news

        public var freshFor: Duration {
            switch self {
            case .daily: .seconds(30 * 60)
            case .quote: .seconds(10 * 60)
            case .intraday: .seconds(60)
            case .overview: .seconds(24 * 3600)
            case .news: .seconds(12 * 3600)
            }
        }
    }

    /// A value and where it came from; `age` is how long ago a provider gave it.
    public struct Answer<Value: Sendable>: Sendable {
        public let value: Value
        public let source: String
        /// Every provider failed just now, so this is the last good answer, older than its lifetime.
        public let stale: Bool
        public let age: Duration
    }

    /// Stale answers are kept this long past their freshness for when every provider fails.
    static let staleKeep: Duration = .seconds(7 * 24 * 3600)

    public let chain: MarketDataChain
    let redis: RedisClient
    let keys: RedisKeys
    let freshness: @Sendable (Kind) -> Duration
    public let metrics: StockHubMetrics?
    private let flights = SingleFlight()

    /// - Parameter freshness: how long each kind is served without asking a provider (tests shorten it).
    /// - Parameter metrics: counts hits and misses by kind.
    public init(chain: MarketDataChain, redis: RedisClient, keys: RedisKeys, freshness: @escaping @Sendable (Kind) -> Duration = { $0.freshFor },
                metrics: StockHubMetrics? = nil) {
        self.chain = chain
        self.redis = redis
        self.keys = keys
        self.freshness = freshness
        self.metrics = metrics
    }

    public func daily(_ symbol: String) async throws(MarketDataChain.Exhausted) -> Answer<DailySeries> {
        try await answer(.daily, symbol) { [chain] () async throws(MarketDataChain.Exhausted) in let a = try await chain.daily(symbol); return (a.series, a.source) }
    }

    public func quote(_ symbol: String) async throws(MarketDataChain.Exhausted) -> Answer<Quote> {
        try await answer(.quote, symbol) { [chain] () async throws(MarketDataChain.Exhausted) in let q = try await chain.quote(symbol); return (q, q.source) }
    }

    public func intraday(_ symbol: String) async throws(MarketDataChain.Exhausted) -> Answer<[PricePoint]> {
        try await answer(.intraday, symbol) { [chain] () async throws(MarketDataChain.Exhausted) in let a = try await chain.intraday(symbol); return (a.points, a.source) }
    }

    public func overview(_ symbol: String) async throws(MarketDataChain.Exhausted) -> Answer<CompanyOverview> {
        try await answer(.overview, symbol) { [chain] () async throws(MarketDataChain.Exhausted) in let o = try await chain.overview(symbol); return (o, o.source) }
    }

    public func news(symbol: String?) async throws(MarketDataChain.Exhausted) -> Answer<[NewsArticle]> {
        try await answer(.news, symbol ?? "_market") { [chain] () async throws(MarketDataChain.Exhausted) in
            let a = try await chain.news(symbol: symbol)
            return (a.articles, a.source)
        }
    }

    /// What Redis holds: the value, its provider and when it was fetched.
    struct Entry<Value: Codable>: Codable {
        let fetchedAt: Double
        let source: String
        let value: Value
    }

    private func answer<Value: Codable & Sendable>(_ kind: Kind, _ subject: String,
                                                     fetch: @escaping @Sendable () async throws(MarketDataChain.Exhausted) -> (Value, String))
        async throws(MarketDataChain.Exhausted) -> Answer<Value> {
        let key = keys.marketData(kind.rawValue, subject)
        let cached: Entry<Value>? = await read(key)
        if let cached, case let answer = Self.answer(cached, stale: false), answer.age < freshness(kind) {
            metrics?.cacheLookup(kind: kind.rawValue, hit: true)
            return answer
        }
        // A miss even when a concurrent caller's fetch ends up answering it: this lookup waited.
        metrics?.cacheLookup(kind: kind.rawValue, hit: false)
        let redis = self.redis, fresh = freshness(kind), lifetime = fresh + Self.staleKeep
        let fetched = await flights.run(key) { () async -> Result<[UInt8], MarketDataChain.Exhausted> in
            func freshBytes() async -> [UInt8]? {
                guard let bytes = await Self.bytes(key, redis), let entry = try? JSONDecoder().decode(Entry<Value>.self, from: Data(bytes)),
                      Self.answer(entry, stale: false).age < fresh else { return nil }
                return bytes
            }
            // A caller that missed just before another's fetch ended finds its answer here.
            if let bytes = await freshBytes() { return .success(bytes) }
            let lock = FetchLock(key: key + ":fetching", redis: redis)
            let holding = await lock.acquire()
            // The holder writes its answer before it releases the lock, so an answer can appear
            // between any two of these reads: look again after each step that saw no holder.
            if holding, let bytes = await freshBytes() {
                await lock.release()
                return .success(bytes)
            }
            if !holding {
                // Another process is asking the providers: wait for its answer while it holds the lock.
                let clock = ContinuousClock(), deadline = clock.now + FetchLock.patience
                while clock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(50))
                    if let bytes = await freshBytes() { return .success(bytes) }
                    if await !lock.isHeld() {
                        if let bytes = await freshBytes() { return .success(bytes) }
                        break
                    }
                }
            }
            let result: Result<[UInt8], MarketDataChain.Exhausted>
            do throws(MarketDataChain.Exhausted) {
                let (value, source) = try await fetch()
                if let bytes = try? JSONEncoder().encode(Entry(fetchedAt: Date().timeIntervalSince1970, source: source, value: value)) {
                    _ = try? await redis.command("SET", RedisArgument(key), RedisArgument(bytes: Array(bytes)),
                                                 "PX", RedisArgument(Int(lifetime.components.seconds * 1000)))
                    result = .success(Array(bytes))
                } else {
                    result = .failure(.init(what: "\(kind.rawValue) for \(subject)", reasons: ["\(source): the answer could not be encoded"],
                                            notFound: false, notOffered: false))
                }
            } catch {
                result = .failure(error)
            }
            if holding { await lock.release() }
            return result
        }
        switch fetched {
        case .success(let bytes):
            guard let entry = try? JSONDecoder().decode(Entry<Value>.self, from: Data(bytes)) else {
                throw .init(what: "\(kind.rawValue) for \(subject)", reasons: ["an answer could not be decoded"], notFound: false, notOffered: false)
            }
            return Self.answer(entry, stale: false)
        case .failure(let error):
            // "Nobody has it" and "nobody offers it" are answers, not outages: no stale value for them.
            if !error.notFound && !error.notOffered, let cached { return Self.answer(cached, stale: true) }
            throw error
        }
    }

    private static func answer<Value>(_ entry: Entry<Value>, stale: Bool) -> Answer<Value> {
        let age = max(0, Date().timeIntervalSince1970 - entry.fetchedAt)
        return Answer(value: entry.value, source: entry.source, stale: stale, age: .milliseconds(Int64(age * 1000)))
    }

    private func read<Value: Codable>(_ key: String) async -> Entry<Value>? {
        guard let bytes = await Self.bytes(key, redis) else { return nil }
        return try? JSONDecoder().decode(Entry<Value>.self, from: Data(bytes))
    }

    private static func bytes(_ key: String, _ redis: RedisClient) async -> [UInt8]? {
        guard case .bulk(let bytes)? = try? await redis.command("GET", RedisArgument(key)) else { return nil }
        return bytes
    }
}

/// "Someone is fetching this key": SET NX with a token and a lifetime, released only by its holder.
struct FetchLock: Sendable {
    /// How long others wait for the holder's answer; also the lock's lifetime, so a holder that
    /// died costs at most this.
    static let patience: Duration = .seconds(5)
    let key: String
    let redis: RedisClient
    let token = UUID().uuidString

    /// Whether this caller now holds it (false, and no waiting, when Redis cannot be reached).
    func acquire() async -> Bool {
        let reply = try? await redis.command("SET", RedisArgument(key), RedisArgument(token), "NX", "PX",
                                             RedisArgument(Int(Self.patience.components.seconds * 1000)))
        return reply == .status("OK")
    }

    func isHeld() async -> Bool {
        guard let reply = try? await redis.command("EXISTS", RedisArgument(key)) else { return false }
        return reply == .integer(1)
    }

    func release() async {
        _ = try? await redis.evaluate(Self.releaseScript, keys: [RedisArgument(key)], arguments: [RedisArgument(token)])
    }

    static let releaseScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """)
}

/// One fetch per key at a time in this process: callers that arrive while it runs await it.
actor SingleFlight {
    private var running: [String: Task<Result<[UInt8], MarketDataChain.Exhausted>, Never>] = [:]

    func run(_ key: String, _ work: @escaping @Sendable () async -> Result<[UInt8], MarketDataChain.Exhausted>)
        async -> Result<[UInt8], MarketDataChain.Exhausted> {
        if let task = running[key] { return await task.value }
        let task = Task { await work() }
        running[key] = task
        let result = await task.value
        running[key] = nil
        return result
    }
}
