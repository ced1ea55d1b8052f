import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

@Suite("Baselines, calendar and market data files")
struct BaselineTests {
    @Test func naiveAndDriftMatchHandComputedValues() throws {
        let y: [Double] = [1, 2, 4, 7]
        let naive = try #require(BaselineModel.naive.forecast(y, horizons: [1, 4]))
        let sigma = (14.0 / 3).squareRoot()  // one-step changes 1, 2, 3
        #expect(naive[0].mean == 7 && abs(naive[0].hi95 - (7 + 1.959963984540054 * sigma)) < 1e-12)
        #expect(abs(naive[1].lo80 - (7 - 1.2815515655446004 * sigma * 2)) < 1e-12)  // sd grows with √h
        let drift = try #require(BaselineModel.drift.forecast(y, horizons: [1, 2]))
        // slope (7 − 1)/3 = 2; residuals −1, 0, 1 → σ = √(2/2) = 1; sd(h) = √(h(1 + h/3))
        #expect(drift[0].mean == 9 && drift[1].mean == 11)
        #expect(abs(drift[0].hi80 - (9 + 1.2815515655446004 * (4.0 / 3).squareRoot())) < 1e-12)
        #expect(abs(drift[1].lo95 - (11 - 1.959963984540054 * (10.0 / 3).squareRoot())) < 1e-12)
        #expect(BaselineModel.drift.forecast([1, 2], horizons: [1]) == nil)
    }

    @Test func tradingDaysSkipWeekends() {
        #expect(TradingCalendar.days(after: "2017-11-10", count: 5) == ["2017-11-13", "2017-11-14", "2017-11-15", "2017-11-16", "2017-11-17"])
        #expect(TradingCalendar.days(after: "2018-12-28", count: 2) == ["2018-12-31", "2019-01-01"])
    }

    @Test func marketDataFilesAreCheckedLineByLine() throws {
        #expect(try FileMarketData.parse("date,close\n2020-01-02,10\n2020-01-03,10.5\n", symbol: "X").closes == [10, 10.5])
        #expect(throws: MarketDataError.malformed(symbol: "X", line: 1, reason: "expected the header date,close")) {
            try FileMarketData.parse("day,price\n", symbol: "X")
        }
        #expect(throws: MarketDataError.self) { try FileMarketData.parse("date,close\n2020-01-02,abc\n", symbol: "X") }
        #expect(throws: MarketDataError.self) { try FileMarketData.parse("date,close\n2020-01-02,-1\n", symbol: "X") }
        #expect(throws: MarketDataError.self) { try FileMarketData.parse("date,close\n2020-01-03,1\n2020-01-02,1\n", symbol: "X") }
    }

    @Test(arguments: ["MSFT", "SPX", "IXIC"])
    func bundledSeriesLoadAndForecast(_ symbol: String) async throws {
        let series = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily(symbol)
        #expect(series.closes.count == 2520)
        let document = try #require(ForecastDocument.make(series: series, modelVersion: "v1"))
        #expect(document.models.map(\.name) == ["naive", "drift"])
        #expect(document.models.allSatisfy { $0.forecasts.map(\.horizon) == [1, 2, 5] && $0.accuracy == nil })
        for point in document.models.flatMap(\.forecasts) {
            #expect(point.lo95 < point.lo80 && point.lo80 < point.value && point.value < point.hi80 && point.hi80 < point.hi95)
        }
    }
}

@Suite("Predictions: 202 + job, worker, cache")
struct PredictionsTests {
    static let marketDataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/market").path
    let contract: OpenAPIContract
    let namespace = uniqueName("test-predict")
    init() throws { contract = try OpenAPIContract.load() }

    func dependencies(_ extra: [String: String] = [:]) async throws -> AppDependencies {
        try await WebAPIRouteTests.liveDependencies([
            "REDIS_NAMESPACE": namespace, "MARKET_DATA_DIR": Self.marketDataDirectory,
            "JWT_SECRET": AuthTests.secret, "ADMIN_API_KEY": "admin-key-0123456789",
        ].merging(extra) { $1 })
    }

    func startWorker() throws -> ChildProcess {
        var environment = TestServices.environment()
        environment["REDIS_NAMESPACE"] = namespace
        environment["MARKET_DATA_DIR"] = Self.marketDataDirectory
        environment["LOG_LEVEL"] = "notice"
        return try ChildProcess(try BuiltProducts.path("Worker"), environment: environment)
    }

    struct Accepted: Decodable {
        let jobID: String
        let deduplicated: Bool
        enum CodingKeys: String, CodingKey {
            case deduplicated
            case jobID = "job_id"
        }
    }

    @Test func firstA202ThenTheWorkerThenA200FromTheCache() async throws {
        let dependencies = try await dependencies()
        try await dependencies.queue.prepare()
        let token = try await dependencies.tokens.issue(for: UUID()).token
        let auth: HTTPFields = [.authorization: "Bearer \(token)"]
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            // Equal requests before any worker runs: one job.
            let answers = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<8 { group.addTask { try await client.execute(uri: "/api/predictions/msft", method: .get, headers: auth) } }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.status == .accepted })
            for answer in answers { WebAPIRouteTests.checkContract(contract, "GET", "/api/predictions/{symbol}", answer) }
            let accepted = try answers.map { try JSONDecoder().decode(Accepted.self, from: Data(buffer: $0.body)) }
            #expect(Set(accepted.map(\.jobID)).count == 1)
            #expect(accepted.filter { !$0.deduplicated }.count == 1)
            let jobID = accepted[0].jobID
            #expect(answers[0].headers[.location] == "/api/jobs/\(jobID)")

            let worker = try startWorker()
            var done = false
            for _ in 0..<300 where !done {
                let status = try await client.execute(uri: "/api/jobs/\(jobID)", method: .get)
                done = String(buffer: status.body).contains(#""status":"done""#)
                if !done { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(done, "\(worker.output)")

            let cached = try await client.execute(uri: "/api/predictions/MSFT", method: .get, headers: auth)
            #expect(cached.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/predictions/{symbol}", cached)
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let document = try decoder.decode(ForecastDocument.self, from: Data(buffer: cached.body))
            #expect(document.symbol == "MSFT" && document.asOf == "2017-11-10" && document.lastClose == 83.87)
            #expect(document.models[0].forecasts.map(\.date) == ["2017-11-13", "2017-11-14", "2017-11-17"])
            #expect(document.history.count == 60)

            // An unknown symbol is a permanent failure with a clear error, not a retry loop.
            let unknown = try JSONDecoder().decode(Accepted.self, from: Data(buffer: try await client.execute(uri: "/api/predictions/NOPE", method: .get, headers: auth).body))
            var failure = ""
            for _ in 0..<200 where failure.isEmpty {
                let status = String(buffer: try await client.execute(uri: "/api/jobs/\(unknown.jobID)", method: .get).body)
                if status.contains(#""status":"failed""#) { failure = status } else { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(failure.contains("unknown symbol NOPE") && failure.contains(#""attempts":1"#), "\(failure)")
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(limit: .seconds(25)) == 0)
        }
    }

    @Test func badSymbolsAndMissingAuthAreRefusedBeforeAnythingIsQueued() async throws {
        let dependencies = try await dependencies()
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            for bad in ["bad$sym", "TOOLONGSYMBOL", "%27%3B--"] {
                let response = try await client.execute(uri: "/api/predictions/\(bad)", method: .get, headers: [.authorization: "Bearer \(token)"])
                #expect(response.status == .badRequest, "\(bad)")
                #expect(String(buffer: response.body).contains(#""field":"symbol""#))
                WebAPIRouteTests.checkContract(contract, "GET", "/api/predictions/{symbol}", response)
            }
            #expect(try await client.execute(uri: "/api/predictions/MSFT", method: .get).status == .unauthorized)
            #expect(try await dependencies.queue.depth().stream == 0)
        }
    }

    @Test func redisDownGivesA503WithRetryAfterNotAHang() async throws {
        let port = try freePort()
        let dependencies = try await dependencies(["REDIS_URL": "redis://127.0.0.1:\(port)/0"])
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let response = try await client.execute(uri: "/api/predictions/MSFT", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] != nil)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/predictions/{symbol}", response)
            let precompute = try await client.execute(uri: "/api/precompute?symbols=MSFT", method: .post, headers: [.adminKey: "admin-key-0123456789"])
            #expect(precompute.status == .serviceUnavailable)
        }
    }

    @Test func precomputeQueuesValidSymbolsAndReportsTheRest() async throws {
        let dependencies = try await dependencies()
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let admin: HTTPFields = [.adminKey: "admin-key-0123456789"]
            let mixed = try await client.execute(uri: "/api/precompute?symbols=MSFT,spx,bad$,MSFT", method: .post, headers: admin)
            #expect(mixed.status == .accepted)
            WebAPIRouteTests.checkContract(contract, "POST", "/api/precompute", mixed)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: mixed.body)) as? [String: Any] ?? [:]
            #expect((body["jobs"] as? [[String: Any]])?.compactMap { $0["symbol"] as? String } == ["MSFT", "SPX"])
            #expect((body["invalid"] as? [[String: Any]])?.count == 1)

            let tooMany = (0..<51).map { "S\($0)" }.joined(separator: ",")
            let capped = try await client.execute(uri: "/api/precompute?symbols=\(tooMany)", method: .post, headers: admin)
            #expect(capped.status == .badRequest)
            WebAPIRouteTests.checkContract(contract, "POST", "/api/precompute", capped)
            #expect(try await client.execute(uri: "/api/precompute?symbols=$$,%25", method: .post, headers: admin).status == .badRequest)
            #expect(try await client.execute(uri: "/api/precompute", method: .post, headers: admin).status == .badRequest)
            #expect(try await client.execute(uri: "/api/precompute?symbols=MSFT", method: .post).status == .unauthorized)
        }
    }
}
