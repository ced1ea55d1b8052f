import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Synchronization
import Testing
@testable import WebAPI

private final class CallCounter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A provider that answers one quote (or error), after `delay`, and counts the calls it gets;
/// `failing` switches it to an outage.
private final class ScriptedProvider: MarketDataProvider {
    let name: String
    let answer: Result<Quote, ProviderError>
    let delay: Duration
    let calls = CallCounter()
    let failing = Atomic<Bool>(false)

    init(_ name: String, _ answer: Result<Quote, ProviderError>, delay: Duration = .zero) {
        self.name = name
        self.answer = answer
        self.delay = delay
    }

    func quote(_ symbol: String) async throws -> Quote {
        calls.add()
        if delay > .zero { try await Task.sleep(for: delay) }
        if failing.load(ordering: .relaxed) { throw ProviderError.unavailable(provider: name, detail: "connection reset") }
        return try answer.get()
    }
    func daily(_ symbol: String) async throws -> DailySeries { throw ProviderError.notOffered(provider: name, what: "daily closes") }
    func intraday(_ symbol: String) async throws -> [PricePoint] { throw ProviderError.notOffered(provider: name, what: "intraday prices") }
    func overview(_ symbol: String) async throws -> CompanyOverview { throw ProviderError.notOffered(provider: name, what: "overviews") }
    func news(symbol: String?) async throws -> [NewsArticle] { throw ProviderError.notOffered(provider: name, what: "news") }
}

@Suite("Market data: ranges, the provider chain and the routes on the bundled files")
struct MarketDataTests {
    let contract: OpenAPIContract
    init() throws { contract = try OpenAPIContract.load() }

    static func series(_ dates: [String]) -> DailySeries {
        DailySeries(symbol: "X", dates: dates, closes: dates.indices.map { 100 + Double($0) })
    }

    @Test func rangesEndAtTheLastCloseAndLongOnesAreThinnedFromIt() throws {
        let days = TradingCalendar.days(after: "2016-12-30", count: 540)  // 2017-01-03 … mid 2019
        let series = Self.series(days)
        let last = try #require(days.last)
        // One week back from a Wednesday: the five sessions since the previous Thursday.
        let week = PriceRange.oneWeek.points(of: Self.series(Array(days.prefix(while: { $0 <= "2018-03-07" }))))
        #expect(week.map(\.time) == ["2018-03-01", "2018-03-02", "2018-03-05", "2018-03-06", "2018-03-07"])
        // Every point of a thinned range is a close of the series, the last one included, `stride` sessions apart.
        for range in [PriceRange.twoYears, .fiveYears, .tenYears] {
            let points = range.points(of: series)
            #expect(points.last?.time == last && points.last?.price == series.closes.last)
            let indices = points.map { point in days.firstIndex(of: point.time)! }
            #expect(zip(indices, indices.dropFirst()).allSatisfy { $1 - $0 == range.stride }, "\(range)")
        }
        #expect(PriceRange.tenYears.points(of: series).first?.time == days[(days.count - 1) % 10])
        // A month back from 31 March is 1 March onwards; from 30 June, 1 June.
        #expect(PriceRange.oneMonth.start(endingOn: CivilDate(2018, 3, 31)) == CivilDate(2018, 3, 1))
        #expect(CivilDate(2020, 3, 31).addingMonths(-1) == CivilDate(2020, 2, 29))
        #expect(CivilDate(2019, 1, 15).addingMonths(-120) == CivilDate(2009, 1, 15))
        #expect(PriceRange.oneYear.points(of: series).first.map { $0.time > "2018" } == true)
    }

    @Test func yearToDateStartsOnTheFirstOfJanuaryOfTheLastClose() {
        let days = TradingCalendar.days(after: "2018-12-20", count: 8)  // … 2018-12-31, 2019-01-02, 2019-01-03
        #expect(PriceRange.yearToDate.points(of: Self.series(days)).map(\.time) == ["2019-01-02", "2019-01-03"])
        let december = Array(days.prefix { $0 < "2019" })
        #expect(PriceRange.yearToDate.points(of: Self.series(december)).map(\.time) == december)
        #expect(PriceRange.yearToDate.points(of: Self.series([])).isEmpty)
    }

    @Test func theChainAsksInOrderAndSaysWhatEachProviderSaid() async throws {
        let quote = Quote(symbol: "MSFT", price: 10, previousClose: 9, asOf: "2026-12-04", source: "second")
        let limited = ScriptedProvider("first", .failure(.rateLimited(provider: "first", detail: "429")))
        let answering = ScriptedProvider("second", .success(quote))
        let never = ScriptedProvider("third", .success(quote))
        #expect(try await MarketDataChain(providers: [limited, answering, never]).quote("MSFT") == quote)
        #expect(limited.calls.value == 1 && never.calls.value == 0)
        #expect(quote.change == 1 && abs(quote.changePercent! - 100.0 / 9) < 1e-12)

        // Nobody has it: a 404. One failed: it might have had it, so a 503.
        let none = [ScriptedProvider("a", .failure(.noData(provider: "a", symbol: "NOPE"))), ScriptedProvider("b", .failure(.noData(provider: "b", symbol: "NOPE")))]
        await #expect { try await MarketDataChain(providers: none).quote("NOPE") } throws: { error in
            let exhausted = error as? MarketDataChain.Exhausted
            return exhausted?.notFound == true && exhausted?.reasons == ["a: no data for NOPE", "b: no data for NOPE"]
        }
        let down = [ScriptedProvider("a", .failure(.unavailable(provider: "a", detail: "timeout"))), ScriptedProvider("b", .failure(.noData(provider: "b", symbol: "X")))]
        await #expect { try await MarketDataChain(providers: down).quote("X") } throws: { error in
            let exhausted = error as? MarketDataChain.Exhausted
            return exhausted?.notFound == false && exhausted?.notOffered == false && exhausted?.description == "no quote for X: a: unavailable (timeout); b: no data for X"
        }
        // Offered by nobody: neither.
        await #expect { try await MarketDataChain(providers: [limited]).news(symbol: nil) } throws: { error in
            (error as? MarketDataChain.Exhausted)?.notOffered == true
        }
    }

    // MARK: - The cache

    func cache(_ providers: [any MarketDataProvider], freshFor: Duration = .seconds(600)) async throws -> MarketDataCache {
        let redis = try await WebAPIRouteTests.liveDependencies().clients.redis
        return MarketDataCache(chain: MarketDataChain(providers: providers), redis: redis, keys: RedisKeys(namespace: uniqueName("md")),
                               freshness: { _ in freshFor })
    }

    @Test func aHundredRequestsForAColdKeyMakeOneProviderCall() async throws {
        let quote = Quote(symbol: "SF", price: 42, previousClose: 41, asOf: "2026-12-04", source: "slow")
        let slow = ScriptedProvider("slow", .success(quote), delay: .milliseconds(300))
        let cache = try await cache([slow])
        let answers = try await withThrowingTaskGroup(of: MarketDataCache.Answer<Quote>.self) { group in
            for _ in 0..<100 { group.addTask { try await cache.quote("SF") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 100 && answers.allSatisfy { $0.value == quote && !$0.stale })
        #expect(slow.calls.value == 1)
        // Fresh in Redis: a later request asks nobody.
        #expect(try await cache.quote("SF").value == quote && slow.calls.value == 1)
    }

    /// Two caches with their own Redis clients and in-process flights, as two web processes
    /// would have: a cold key still costs one provider call between them.
    @Test func twoProcessesAskingForAColdKeyMakeOneProviderCall() async throws {
        let quote = Quote(symbol: "XP", price: 5, previousClose: 4, asOf: "2026-12-04", source: "slow")
        let slow = ScriptedProvider("slow", .success(quote), delay: .milliseconds(500))
        let keys = RedisKeys(namespace: uniqueName("md"))
        func cache() async throws -> MarketDataCache {
            MarketDataCache(chain: MarketDataChain(providers: [slow]), redis: try await WebAPIRouteTests.liveDependencies().clients.redis, keys: keys)
        }
        let caches = [try await cache(), try await cache()]
        let answers = try await withThrowingTaskGroup(of: Quote.self) { group in
            for index in 0..<60 { group.addTask { try await caches[index % 2].quote("XP").value } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 60 && answers.allSatisfy { $0 == quote })
        #expect(slow.calls.value == 1)
    }

    @Test func whenEveryProviderFailsTheLastAnswerIsServedStaleWithItsAge() async throws {
        let quote = Quote(symbol: "ST", price: 7, previousClose: nil, asOf: "2026-12-04", source: "vendor")
        let vendor = ScriptedProvider("vendor", .success(quote))
        let cache = try await cache([vendor], freshFor: .zero)  // every request asks the provider
        let first = try await cache.quote("ST")
        #expect(!first.stale && first.source == "vendor")
        vendor.failing.store(true, ordering: .relaxed)
        let stale = try await cache.quote("ST")
        #expect(stale.stale && stale.value == quote && stale.source == "vendor" && stale.age >= .zero)
        #expect(vendor.calls.value == 2)
        // No earlier answer: the outage is the answer.
        await #expect(throws: MarketDataChain.Exhausted.self) { try await cache.quote("NEVER") }
        // "Nobody has it" is not served stale.
        let gone = ScriptedProvider("vendor", .failure(.noData(provider: "vendor", symbol: "ST")))
        await #expect(throws: MarketDataChain.Exhausted.self) {
            try await MarketDataCache(chain: MarketDataChain(providers: [gone]), redis: cache.redis, keys: cache.keys, freshness: { _ in .zero }).quote("ST")
        }
    }

    @Test func redisDownCostsTheCacheNotTheAnswer() async throws {
        let redis = try await WebAPIRouteTests.deadDependencies().clients.redis
        let quote = Quote(symbol: "RD", price: 3, previousClose: 2, asOf: "2026-12-04", source: "vendor")
        let vendor = ScriptedProvider("vendor", .success(quote))
        let cache = MarketDataCache(chain: MarketDataChain(providers: [vendor]), redis: redis, keys: RedisKeys(namespace: "x"))
        #expect(try await cache.quote("RD").value == quote)
        #expect(try await cache.quote("RD").value == quote && vendor.calls.value == 2)
    }

    // MARK: - Routes, offline (the bundled files only)

    func withApp(_ body: @Sendable (any TestClientProtocol, HTTPFields) async throws -> Void) async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies([
            "MARKET_DATA_DIR": PredictionsTests.marketDataDirectory, "JWT_SECRET": AuthTests.secret,
        ])
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            try await body(client, [.authorization: "Bearer \(token)"])
        }
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func aQuoteIsTheLastBundledCloseAgainstThePreviousOne() async throws {
        let msft = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily("MSFT")
        try await withApp { client, auth in
            let response = try await client.execute(uri: "/api/stock/msft", method: .get, headers: auth)
            #expect(response.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/stock/{symbol}", response)
            let body = try json(response)
            #expect(body["symbol"] as? String == "MSFT" && body["source"] as? String == "file" && body["as_of"] as? String == msft.dates.last)
            #expect(body["price"] as? Double == msft.closes.last && body["previous_close"] as? Double == msft.closes[msft.closes.count - 2])
            let change = try #require(body["change"] as? Double)
            #expect(abs(change - (msft.closes[msft.closes.count - 1] - msft.closes[msft.closes.count - 2])) < 1e-9)

            let unknown = try await client.execute(uri: "/api/stock/NOPE", method: .get, headers: auth)
            #expect(unknown.status == .notFound)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/stock/{symbol}", unknown)
            let bad = try await client.execute(uri: "/api/stock/a%20b", method: .get, headers: auth)
            #expect(try bad.status == .badRequest && json(bad)["field"] as? String == "symbol")
            let anonymous = try await client.execute(uri: "/api/stock/MSFT", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func timeseriesServesEveryRangeAndRefusesOthersNamingTheField() async throws {
        let spx = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily("SPX")
        try await withApp { client, auth in
            for range in PriceRange.allCases {
                let response = try await client.execute(uri: "/api/timeseries/SPX?range=\(range.rawValue.lowercased())", method: .get, headers: auth)
                #expect(response.status == .ok)
                WebAPIRouteTests.checkContract(contract, "GET", "/api/timeseries/{symbol}", response)
                let body = try json(response)
                let points = try #require(body["points"] as? [[String: Any]])
                #expect(body["range"] as? String == range.rawValue && body["resolution"] as? String == range.resolution)
                #expect(points.last?["date"] as? String == spx.dates.last && points.count == range.points(of: spx).count, "\(range)")
                #expect(body["history_start"] as? String == spx.dates.first)
            }
            let ytd = try json(try await client.execute(uri: "/api/timeseries/SPX?range=YTD", method: .get, headers: auth))
            let dates = (ytd["points"] as? [[String: Any]] ?? []).compactMap { $0["date"] as? String }
            #expect(dates.first == "2018-01-02" && dates.last == "2018-12-31" && dates.count == spx.dates.filter { $0.hasPrefix("2018-") }.count)

            let bad = try await client.execute(uri: "/api/timeseries/SPX?range=2W", method: .get, headers: auth)
            #expect(try bad.status == .badRequest && json(bad)["field"] as? String == "range")
            WebAPIRouteTests.checkContract(contract, "GET", "/api/timeseries/{symbol}", bad)
            let unknown = try await client.execute(uri: "/api/timeseries/NOPE?range=1Y", method: .get, headers: auth)
            #expect(unknown.status == .notFound)
        }
    }

    @Test func offlineIntradayAndNewsAreEmptyWithTheReasonAndOverviewsNameTheCompany() async throws {
        try await withApp { client, auth in
            let intraday = try await client.execute(uri: "/api/intraday/MSFT", method: .get, headers: auth)
            #expect(intraday.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/intraday/{symbol}", intraday)
            let points = try json(intraday)
            #expect((points["points"] as? [Any])?.isEmpty == true && (points["reason"] as? String)?.contains("intraday") == true)

            for uri in ["/api/news", "/api/news?symbol=msft"] {
                let news = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(news.status == .ok)
                WebAPIRouteTests.checkContract(contract, "GET", "/api/news", news)
                let body = try json(news)
                #expect((body["articles"] as? [Any])?.isEmpty == true && body["refreshedAt"] is String && body["reason"] is String)
            }
            let badNews = try await client.execute(uri: "/api/news?symbol=%24%24", method: .get, headers: auth)
            #expect(badNews.status == .badRequest)

            let overview = try await client.execute(uri: "/api/overview/msft", method: .get, headers: auth)
            #expect(overview.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/overview/{symbol}", overview)
            let body = try json(overview)
            #expect(body["name"] as? String == "Microsoft Corporation" && body["exchange"] as? String == "NASDAQ" && body["source"] as? String == "file")
            let unknown = try await client.execute(uri: "/api/overview/NOPE", method: .get, headers: auth)
            #expect(unknown.status == .notFound)
        }
    }

    @Test func aBatchHasOneEntryPerSymbolAndReportsTheRest() async throws {
        try await withApp { client, auth in
            let response = try await client.execute(uri: "/api/tickers/batch?symbols=MSFT,b%21d,NOPE,spx,msft", method: .get, headers: auth)
            #expect(response.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/tickers/batch", response)
            let body = try json(response)
            #expect((body["tickers"] as? [[String: Any]])?.compactMap { $0["symbol"] as? String } == ["MSFT", "SPX"])
            #expect((body["invalid"] as? [[String: Any]])?.compactMap { $0["symbol"] as? String } == ["b!d"])
            let unavailable = try #require(body["unavailable"] as? [[String: Any]])
            #expect(unavailable.count == 1 && unavailable[0]["symbol"] as? String == "NOPE" && (unavailable[0]["reason"] as? String)?.contains("no data") == true)

            let tooMany = (0...MarketDataController.maxBatchSymbols).map { "S\($0)" }.joined(separator: ",")
            let refused = try await client.execute(uri: "/api/tickers/batch?symbols=\(tooMany)", method: .get, headers: auth)
            #expect(try refused.status == .badRequest && json(refused)["field"] as? String == "symbols")
            let missing = try await client.execute(uri: "/api/tickers/batch", method: .get, headers: auth)
            #expect(missing.status == .badRequest)
        }
    }
}

@Suite("Market data: outbound rate limits shared through Redis")
struct OutboundRateLimitTests {
    @Test func limitsParseAndSayWhatTheyAre() throws {
        #expect(try RateLimit.parseList("60/min, 30/s") == [RateLimit(count: 60, period: .seconds(60)), RateLimit(count: 30, period: .seconds(1))])
        #expect(try RateLimit.parseList("25/day").map(\.description) == ["25/day"])
        for bad in ["60", "0/min", "x/min", "5/week", "5/min,"] {
            #expect(throws: RateLimitSyntaxError.self, "\(bad)") { try RateLimit.parseList(bad) }
        }
    }

    /// Three separate clients (three connection pools, as three processes would have) hammer one
    /// vendor's budget: what passes never exceeds the count per window for the time it took.
    @Test func clientsSharingABudgetNeverExceedItTogether() async throws {
        let keys = RedisKeys(namespace: uniqueName("limit"))
        let limit = RateLimit(count: 5, period: .seconds(1))
        var limiters: [OutboundRateLimiter] = []
        for _ in 0..<3 {
            limiters.append(OutboundRateLimiter(vendor: "finnhub", limits: [limit], redis: try await WebAPIRouteTests.liveDependencies().clients.redis, keys: keys))
        }
        // A fixed number of attempts, not a time: on a loaded machine each round trip may be
        // slow, which only lets the budget refill; the bound is computed from the time it took.
        let clock = ContinuousClock()
        let start = clock.now
        let passed = try await withThrowingTaskGroup(of: Int.self) { group in
            for limiter in limiters {
                group.addTask {
                    var passed = 0
                    for _ in 0..<60 where try await limiter.acquire() == nil { passed += 1 }
                    return passed
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - start
        // At most the count in every window the time it took spans.
        let budget = limit.count * (Int(elapsed / OutboundRateLimiter.window(limit)) + 1)
        #expect(passed >= limit.count && passed <= budget, "\(passed) calls passed in \(elapsed), budget \(budget)")

        // A spent budget says how long until the next call would pass.
        let daily = OutboundRateLimiter(vendor: "alpha_vantage", limits: [RateLimit(count: 2, period: .seconds(86400))],
                                        redis: limiters[0].redis, keys: keys)
        #expect(try await daily.acquire() == nil)
        #expect(try await daily.acquire() == nil)
        let wait = try #require(try await daily.acquire())
        #expect(wait > .seconds(86_000) && wait <= .seconds(86_402), "a day (and the grace) until the third of 2 per day")
    }

    /// A full window stays full until its oldest call leaves it: no steady trickle on top of a
    /// burst (a token bucket or GCRA would let a fourth of 3/s through after a third of a second).
    @Test func aFullWindowWaitsForItsOldestCallToLeave() async throws {
        // A minute rather than a second: under the full suite's load three round trips can take
        // longer than a 1 s window, and the fourth call then (rightly) passes.
        let limit = RateLimit(count: 3, period: .seconds(60))
        let limiter = OutboundRateLimiter(vendor: "finnhub", limits: [limit], redis: try await WebAPIRouteTests.liveDependencies().clients.redis,
                                          keys: RedisKeys(namespace: uniqueName("limit")))
        let clock = ContinuousClock()
        let first = clock.now
        #expect(try await limiter.acquire() == nil)
        #expect(try await limiter.acquire() == nil)
        #expect(try await limiter.acquire() == nil)
        let wait = try #require(try await limiter.acquire(), "a fourth call within the window waits")
        // The wait ends when the first call is a window old (Redis's clock; ours ran at least as long).
        #expect(wait + (clock.now - first) >= OutboundRateLimiter.window(limit) - .milliseconds(1), "waits \(wait)")
        #expect(wait <= OutboundRateLimiter.window(limit))
    }

    /// Three OS processes (`StockHubBench rate-limit`) asking one budget at once: together they
    /// pass no more than it allows for the time from the first start to the last exit.
    @Test func threeProcessesSharingABudgetNeverExceedItTogether() async throws {
        let environment = TestServices.environment().merging(["REDIS_NAMESPACE": uniqueName("limit-processes")]) { $1 }
        let bench = try BuiltProducts.path("StockHubBench")
        let clock = ContinuousClock()
        let start = clock.now
        let outputs = try await withThrowingTaskGroup(of: (Int32, String).self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await ChildProcess.run(bench, ["rate-limit", "--vendor", "finnhub", "--limits", "5/s", "--attempts", "80"],
                                               environment: environment, limit: .seconds(300))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let window = clock.now - start
        var passed = 0
        for (status, output) in outputs {
            #expect(status == 0, "\(output)")
            let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("passed ") }, "\(output)")
            passed += Int(line.split(separator: " ")[1]) ?? -1_000
        }
        let budget = 5 * (Int(window / OutboundRateLimiter.window(RateLimit(count: 5, period: .seconds(1)))) + 1)
        #expect(passed >= 5 && passed <= budget, "\(passed) calls passed across 3 processes in \(window), budget \(budget)")
    }

    @Test func aCallThatWouldWaitTooLongIsRateLimitedWithoutReachingTheVendor() async throws {
        let redis = try await WebAPIRouteTests.liveDependencies().clients.redis
        let limiter = OutboundRateLimiter(vendor: "alpha_vantage", limits: [RateLimit(count: 2, period: .seconds(86400))], redis: redis,
                                          keys: RedisKeys(namespace: uniqueName("limit")))
        let quote = Quote(symbol: "AV", price: 1, previousClose: nil, asOf: "2026-12-04", source: "alpha_vantage")
        let vendor = ScriptedProvider("alpha_vantage", .success(quote))
        let limited = RateLimitedProvider(vendor, limiter: limiter, patience: .seconds(1))
        #expect(try await limited.quote("AV") == quote)
        #expect(try await limited.quote("AV") == quote)
        await #expect { try await limited.quote("AV") } throws: { error in
            guard case ProviderError.rateLimited(let provider, let detail)? = error as? ProviderError else { return false }
            return provider == "alpha_vantage" && detail.contains("2/day")
        }
        #expect(vendor.calls.value == 2)
    }
}

@Suite("Market data: vendor settings")
struct MarketDataSettingsTests {
    @Test func vendorURLsAndBudgetsAreCheckedAtStart() throws {
        let defaults = try Settings(environment: [:])
        #expect(defaults.finnhubBaseURL == "https://finnhub.io/api/v1" && defaults.alphaVantageBaseURL == "https://www.alphavantage.co")
        #expect(defaults.finnhubRateLimits == [RateLimit(count: 60, period: .seconds(60)), RateLimit(count: 30, period: .seconds(1))])
        #expect(defaults.alphaVantageRateLimits == [RateLimit(count: 25, period: .seconds(86400))])
        let custom = try Settings(environment: ["FINNHUB_BASE_URL": "http://127.0.0.1:9999/api/v1/", "ALPHA_VANTAGE_RATE_LIMITS": "5/min,500/day"])
        #expect(custom.finnhubBaseURL == "http://127.0.0.1:9999/api/v1" && custom.alphaVantageRateLimits.map(\.description) == ["5/min", "500/day"])
        #expect(throws: ConfigError.self) { try Settings(environment: ["FINNHUB_BASE_URL": "ftp://x"]) }
        do {
            _ = try Settings(environment: ["FINNHUB_RATE_LIMITS": "60/fortnight"])
            Issue.record("a malformed budget was accepted")
        } catch {
            #expect(error.description.hasPrefix("FINNHUB_RATE_LIMITS") && error.description.contains("60/fortnight"), "\(error)")
        }
    }
}

/// The routes with vendor keys set, against the recorded-response vendors on a real socket:
/// the chain's order, each vendor's failures moving on, and the bundled files last.
@Suite("Market data: the configured chain through the routes")
struct ConfiguredChainTests {
    let contract: OpenAPIContract
    init() throws { contract = try OpenAPIContract.load() }

    @Test func finnhubThenAlphaVantageThenTheBundledFiles() async throws {
        let seen = VendorProviderTests.Seen()
        let router = Router()
        VendorProviderTests.finnhubRoutes(router, seen)
        VendorProviderTests.alphaVantageRoutes(router, seen)
        let vendors = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let contract = self.contract
        try await vendors.test(.live) { vendorClient in
            let base = "http://127.0.0.1:\(vendorClient.port!)"
            let dependencies = try await WebAPIRouteTests.liveDependencies([
                "MARKET_DATA_DIR": PredictionsTests.marketDataDirectory, "JWT_SECRET": AuthTests.secret, "REDIS_NAMESPACE": uniqueName("chain"),
                "FINNHUB_API_KEY": VendorProviderTests.finnhubKey, "FINNHUB_BASE_URL": base + "/finnhub",
                "ALPHA_VANTAGE_API_KEY": VendorProviderTests.alphaVantageKey, "ALPHA_VANTAGE_BASE_URL": base + "/av",
            ])
            let token = try await dependencies.tokens.issue(for: UUID()).token
            let auth: HTTPFields = [.authorization: "Bearer \(token)"]
            try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
                func source(_ uri: String) async throws -> (HTTPResponse.Status, String?, [String: Any]) {
                    let response = try await client.execute(uri: uri, method: .get, headers: auth)
                    let body = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
                    return (response.status, body["source"] as? String, body)
                }
                // Finnhub has AAPL; for IBM it has nothing, Alpha Vantage has it; MSFT only the files have.
                let aapl = try await source("/api/stock/AAPL")
                #expect(aapl.0 == .ok && aapl.1 == "finnhub" && (aapl.2["price"] as? Double ?? 0) > 0, "\(aapl.2)")
                let ibm = try await source("/api/stock/IBM")
                #expect(ibm.0 == .ok && ibm.1 == "alpha_vantage", "\(ibm.2)")
                let msft = try await source("/api/stock/MSFT")
                #expect(msft.0 == .ok && msft.1 == "file", "\(msft.2)")
                // Both vendors over their limit and no file: an outage, 503 with Retry-After, never a 500.
                let limited = try await client.execute(uri: "/api/stock/LIMIT", method: .get, headers: auth)
                #expect(limited.status == .serviceUnavailable && limited.headers[.retryAfter] != nil)
                WebAPIRouteTests.checkContract(contract, "GET", "/api/stock/{symbol}", limited)
                let detail = (try? JSONSerialization.jsonObject(with: Data(buffer: limited.body)) as? [String: Any])?["detail"] as? String ?? ""
                #expect(detail.contains("finnhub: rate limited") && detail.contains("alpha_vantage: rate limited") && detail.contains("file: no data"), "\(detail)")

                let news = try await client.execute(uri: "/api/news?symbol=AAPL", method: .get, headers: auth)
                WebAPIRouteTests.checkContract(contract, "GET", "/api/news", news)
                let articles = ((try? JSONSerialization.jsonObject(with: Data(buffer: news.body)) as? [String: Any])?["articles"] as? [Any]) ?? []
                #expect(news.status == .ok && !articles.isEmpty && articles.count <= MarketDataController.newsArticles)
                let overview = try await source("/api/overview/IBM")
                #expect(overview.0 == .ok && overview.1 == "alpha_vantage", "\(overview.2)")
                let series = try await source("/api/timeseries/AAPL?range=1M")
                #expect(series.0 == .ok && series.1 == "finnhub", "\(series.2)")
                for uri in ["/api/stock/AAPL", "/api/overview/IBM", "/api/timeseries/AAPL?range=1M"] {
                    let response = try await client.execute(uri: uri, method: .get, headers: auth)
                    let path = uri.hasPrefix("/api/stock") ? "/api/stock/{symbol}" : uri.hasPrefix("/api/overview") ? "/api/overview/{symbol}" : "/api/timeseries/{symbol}"
                    WebAPIRouteTests.checkContract(contract, "GET", path, response)
                }
            }
        }
        #expect(seen.withoutKey.isEmpty, "requests without the api key: \(seen.withoutKey)")
    }
}

/// Many requests for symbols nobody has cached: the vendor sees no more calls than its budget
/// allows for the time they took, counted at the fake vendor itself.
@Suite("Market data: the outbound budget under load")
struct OutboundBudgetUnderLoadTests {
    @Test func aBurstOfColdSymbolsNeverExceedsTheVendorsBudget() async throws {
        let seen = VendorProviderTests.Seen()
        let router = Router()
        VendorProviderTests.finnhubRoutes(router, seen)
        let vendors = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await vendors.test(.live) { vendorClient in
            let dependencies = try await WebAPIRouteTests.liveDependencies([
                "MARKET_DATA_DIR": PredictionsTests.marketDataDirectory, "JWT_SECRET": AuthTests.secret, "REDIS_NAMESPACE": uniqueName("budget"),
                "FINNHUB_API_KEY": VendorProviderTests.finnhubKey, "FINNHUB_BASE_URL": "http://127.0.0.1:\(vendorClient.port!)/finnhub",
                "FINNHUB_RATE_LIMITS": "5/s",
            ])
            let token = try await dependencies.tokens.issue(for: UUID()).token
            try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
                let clock = ContinuousClock()
                let start = clock.now
                // 60 distinct symbols at once: each is a cold key, so each wants a vendor call.
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for index in 0..<60 {
                        group.addTask {
                            try await client.execute(uri: "/api/stock/C\(index)", method: .get, headers: [.authorization: "Bearer \(token)"]).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let elapsed = clock.now - start
                let calls = seen.count
                // At most 5 in every window the time they took spans.
                let budget = 5 * (Int(elapsed / OutboundRateLimiter.window(RateLimit(count: 5, period: .seconds(1)))) + 1)
                #expect(calls >= 5 && calls <= budget, "\(calls) vendor calls in \(elapsed), budget \(budget)")
                // Every answer is an answer: 404 (nobody has C…) or 503 (the vendor's budget ran out), never a 500.
                #expect(statuses.allSatisfy { $0 == .notFound || $0 == .serviceUnavailable }, "\(Set(statuses.map(\.code)))")
                #expect(statuses.contains(.serviceUnavailable), "some requests found the budget spent")
            }
        }
    }
}

/// A vendor's daily closes kept in Postgres, so history grows across answers.
@Suite("Market data: daily closes kept in Postgres")
struct DailyCloseStoreTests {
    /// Answers `days` closes ending at a date that moves on by `step` sessions per call.
    private final class MovingVendor: MarketDataProvider {
        let name = "alpha_vantage"
        let calls = CallCounter()
        let days: Int, step: Int

        init(days: Int, step: Int) { (self.days, self.step) = (days, step) }

        func daily(_ symbol: String) async throws -> DailySeries {
            let shift = calls.value * step
            calls.add()
            let dates = Array(TradingCalendar.days(after: "2026-01-02", count: days + shift).suffix(days))
            return DailySeries(symbol: symbol, dates: dates, closes: dates.indices.map { 50 + Double($0 + shift) / 4 })
        }
        func quote(_ symbol: String) async throws -> Quote { throw ProviderError.notOffered(provider: name, what: "quotes") }
        func intraday(_ symbol: String) async throws -> [PricePoint] { throw ProviderError.notOffered(provider: name, what: "intraday") }
        func overview(_ symbol: String) async throws -> CompanyOverview { throw ProviderError.notOffered(provider: name, what: "overviews") }
        func news(symbol: String?) async throws -> [NewsArticle] { throw ProviderError.notOffered(provider: name, what: "news") }
    }

    @Test func historyAccumulatesAcrossAnswersPerSource() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies()
        try await Migrator().migrate(on: dependencies.clients.postgres)
        let store = DailyCloseStore(db: dependencies.clients.postgres)
        let symbol = "T\(UInt32.random(in: 0...99_999_999))".prefix(10).uppercased()
        let vendor = MovingVendor(days: 100, step: 3)
        let kept = AccumulatingDailyProvider(vendor, store: store)

        let first = try await kept.daily(symbol)
        #expect(first.closes.count == 100)
        let second = try await kept.daily(symbol)  // the window moved on by 3 sessions
        #expect(second.closes.count == 103 && second.dates == second.dates.sorted() && Set(second.dates).count == 103)
        #expect(second.dates.first == first.dates.first && second.closes.first == first.closes.first)
        // Another source's closes for the symbol are kept apart.
        try await store.save(DailySeries(symbol: symbol, dates: ["2020-01-02"], closes: [1]), source: "finnhub")
        #expect(try await store.load(symbol: symbol, source: "alpha_vantage").closes.count == 103)
        #expect(try await store.load(symbol: symbol, source: "finnhub").dates == ["2020-01-02"])

        // Postgres down: the answer itself still comes through.
        let down = AccumulatingDailyProvider(MovingVendor(days: 100, step: 0), store: DailyCloseStore(db: try await WebAPIRouteTests.deadDependencies().clients.postgres))
        #expect(try await down.daily(symbol).closes.count == 100)
    }
}

/// Which closes the predict and train jobs fit on.
@Suite("Market data: the models' history")
struct ModelHistoryTests {
    /// A vendor with `count` daily closes for every symbol but NOPE, or an outage.
    private struct DailyVendor: MarketDataProvider {
        let name = "finnhub"
        let count: Int
        var down = false

        func daily(_ symbol: String) async throws -> DailySeries {
            if down { throw ProviderError.unavailable(provider: name, detail: "timeout") }
            guard symbol != "NOPE" else { throw ProviderError.noData(provider: name, symbol: symbol) }
            let dates = TradingCalendar.days(after: "2023-01-03", count: count)
            return DailySeries(symbol: symbol, dates: dates, closes: dates.indices.map { 10 + Double($0) / 100 })
        }
        func quote(_ symbol: String) async throws -> Quote { throw ProviderError.notOffered(provider: name, what: "quotes") }
        func intraday(_ symbol: String) async throws -> [PricePoint] { throw ProviderError.notOffered(provider: name, what: "intraday") }
        func overview(_ symbol: String) async throws -> CompanyOverview { throw ProviderError.notOffered(provider: name, what: "overviews") }
        func news(symbol: String?) async throws -> [NewsArticle] { throw ProviderError.notOffered(provider: name, what: "news") }
    }

    func history(_ vendors: [any MarketDataProvider]) async throws -> ModelHistory {
        let files = FileMarketData(directory: PredictionsTests.marketDataDirectory)
        let cache = MarketDataCache(chain: MarketDataChain(providers: vendors + [files]), redis: try await WebAPIRouteTests.liveDependencies().clients.redis,
                                    keys: RedisKeys(namespace: uniqueName("history")))
        return ModelHistory(cache: cache, files: files)
    }

    @Test func vendorsWinWithEnoughHistoryElseTheBundledFiles() async throws {
        let bundled = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily("MSFT")
        // Offline: the files, and an unknown symbol is unknown.
        let offline = try await history([])
        #expect(try await offline.daily("MSFT") == bundled)
        await #expect(throws: MarketDataError.unknownSymbol("NOPE")) { try await offline.daily("NOPE") }
        // A vendor with a fit window of closes replaces the bundled ones; with 100 it does not,
        // but a symbol only it has gets its 100.
        let long = try await history([DailyVendor(count: ModelHistory.enough)])
        #expect(try await long.daily("MSFT").closes.count == ModelHistory.enough)
        let short = try await history([DailyVendor(count: 100)])
        #expect(try await short.daily("MSFT") == bundled)
        #expect(try await short.daily("NVDA").closes.count == 100)
        await #expect(throws: MarketDataError.unknownSymbol("NOPE")) { try await short.daily("NOPE") }
        // A vendor outage for a symbol without a file is an outage (worth a retry), not "unknown".
        let down = try await history([DailyVendor(count: 100, down: true)])
        await #expect(throws: MarketDataChain.Exhausted.self) { try await down.daily("NVDA") }
        #expect(try await down.daily("MSFT") == bundled)
    }
}

/// Joining a vendor's recent closes onto the bundled files' older ones.
@Suite("Market data: joining vendor and bundled history")
struct HistorySpliceTests {
    let files = DailySeries(symbol: "ACME", dates: TradingCalendar.days(after: "2024-01-02", count: 30),
                            closes: (0..<30).map { 50 + Double($0) })

    /// The vendor's raw closes: twice the files' adjusted ones on the days both hold, then newer days.
    func vendor(overlap: Int, newer: Int) -> DailySeries {
        let dates = Array(files.dates.suffix(overlap)) + TradingCalendar.days(after: files.dates.last!, count: newer)
        let closes = files.closes.suffix(overlap).map { $0 * 2 } + (0..<newer).map { 201 + Double($0) }
        return DailySeries(symbol: "ACME", dates: dates, closes: closes)
    }

    @Test func overlappingSeriesJoinAtTheLatestCommonDayOnTheVendorsScale() throws {
        let vendor = vendor(overlap: 8, newer: 12)
        let joined = try HistorySplice.join(files: files, vendor: vendor)
        // The files' days up to the vendor's latest common day, then every vendor day from it on.
        let seam = try #require(joined.dates.firstIndex(of: files.dates[29]))
        #expect(seam == 29)
        #expect(joined.dates == Array(files.dates.prefix(29)) + Array(vendor.dates.suffix(13)))
        #expect(joined.closes.prefix(29) == files.closes.prefix(29).map { $0 * 2 }[...])
        #expect(Array(joined.closes.suffix(13)) == Array(vendor.closes.suffix(13)))
        #expect(joined.symbol == "ACME")
    }

    @Test func seriesWithoutACommonDayAreNotJoined() {
        let later = DailySeries(symbol: "ACME", dates: TradingCalendar.days(after: "2026-01-02", count: 5), closes: [1, 2, 3, 4, 5])
        #expect(throws: HistorySplice.Refusal.noCommonDay(filesEnd: files.dates[29], vendorStart: later.dates[0])) {
            try HistorySplice.join(files: files, vendor: later)
        }
    }

    @Test func seriesThatDisagreeNearTheSeamAreNotJoined() {
        let vendor = vendor(overlap: 8, newer: 3)
        var closes = vendor.closes
        closes[5] *= 1.1  // a common day 10% off the scale measured at the seam
        let wrong = DailySeries(symbol: "ACME", dates: vendor.dates, closes: closes)
        #expect(throws: HistorySplice.Refusal.disagree(day: vendor.dates[5], seamDay: vendor.dates[7])) {
            try HistorySplice.join(files: files, vendor: wrong)
        }
    }

    /// A vendor whose 100 closes overlap the bundled MSFT file's last 20 days, on twice its scale.
    private struct OverlappingVendor: MarketDataProvider {
        let name = "alphavantage"
        let bundled: DailySeries

        func daily(_ symbol: String) async throws -> DailySeries {
            let dates = Array(bundled.dates.suffix(20)) + TradingCalendar.days(after: bundled.dates.last!, count: 80)
            let closes = bundled.closes.suffix(20).map { $0 * 2 } + (1...80).map { 2 * bundled.closes.last! + Double($0) / 10 }
            return DailySeries(symbol: symbol, dates: dates, closes: closes)
        }
        func quote(_ symbol: String) async throws -> Quote { throw ProviderError.notOffered(provider: name, what: "quotes") }
        func intraday(_ symbol: String) async throws -> [PricePoint] { throw ProviderError.notOffered(provider: name, what: "intraday") }
        func overview(_ symbol: String) async throws -> CompanyOverview { throw ProviderError.notOffered(provider: name, what: "overviews") }
        func news(symbol: String?) async throws -> [NewsArticle] { throw ProviderError.notOffered(provider: name, what: "news") }
    }

    @Test func theModelsSeeTheBundledYearsCarriedForwardByAShortVendorHistory() async throws {
        let files = FileMarketData(directory: PredictionsTests.marketDataDirectory)
        let bundled = try await files.daily("MSFT")
        let cache = MarketDataCache(chain: MarketDataChain(providers: [OverlappingVendor(bundled: bundled), files]),
                                    redis: try await WebAPIRouteTests.liveDependencies().clients.redis,
                                    keys: RedisKeys(namespace: uniqueName("splice")))
        let history = try await ModelHistory(cache: cache, files: files).daily("MSFT")
        #expect(history.closes.count == bundled.closes.count + 80)
        #expect(history.dates.first == bundled.dates.first)
        #expect(history.closes.first == bundled.closes.first! * 2)
        #expect(history.dates.last == TradingCalendar.days(after: bundled.dates.last!, count: 80).last)
    }
}
