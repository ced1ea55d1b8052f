import Forecasting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

@Suite("Calendar, market data files and forecast documents")
struct BaselineTests {
    @Test func tradingDaysSkipWeekendsAndExchangeHolidays() {
        #expect(TradingCalendar.days(after: "2017-11-10", count: 5) == ["2017-11-13", "2017-11-14", "2017-11-15", "2017-11-16", "2017-11-17"])
        #expect(TradingCalendar.days(after: "2018-12-28", count: 2) == ["2018-12-31", "2019-01-02"])
        // Christmas 2026 is a Friday: five trading days from the 21st skip it and the weekend.
        #expect(TradingCalendar.days(after: "2026-12-21", count: 5) == ["2026-12-22", "2026-12-23", "2026-12-24", "2026-12-28", "2026-12-29"])
        #expect(TradingCalendar.days(after: "2026-02-30", count: 1).isEmpty)
    }

    /// NYSE's published full-day closures (nyse.com "Holidays & Trading Hours"), including the
    /// observed ones: New Year's Day 2022 fell on a Saturday and was not observed; Juneteenth
    /// 2022 and Christmas 2022 fell on Sundays; in 2027 July 4 is a Sunday and June 19 and
    /// December 25 are Saturdays.
    @Test(arguments: [
        (2022, ["2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05", "2022-11-24", "2022-12-26"]),
        (2026, ["2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25"]),
        (2027, ["2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24"]),
    ])
    func holidaysMatchTheExchangesPublishedCalendar(year: Int, closed: [String]) {
        #expect(TradingCalendar.holidays(in: year).map(\.iso).sorted() == closed)
    }

    /// The bundled closes are real exchange data: every weekday they skip is a holiday by the
    /// rules, except the closures no rule predicts (Hurricane Sandy; the days of mourning for
    /// Presidents Reagan, Ford and George H. W. Bush), and no holiday by the rules has a close.
    @Test(arguments: ["MSFT", "SPX", "IXIC", "AAPL", "GOOG", "IBM"])
    func theCalendarAgreesWithTheDaysTheBundledSeriesTraded(_ symbol: String) async throws {
        let series = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily(symbol)
        let traded = Set(series.dates)
        let unscheduled: Set<String> = ["2004-06-11", "2007-01-02", "2012-10-29", "2012-10-30", "2018-12-05"]
        var day = try #require(CivilDate(iso: series.dates[0]))
        let last = try #require(CivilDate(iso: series.dates.last!))
        var checked = 0
        while day <= last {
            if !day.isWeekend && !unscheduled.contains(day.iso) {
                #expect(TradingCalendar.isTradingDay(day) == traded.contains(day.iso), "\(symbol) \(day.iso)")
                checked += 1
            }
            day = day.next
        }
        #expect(checked > 2100)
    }

    @Test func marketDataFilesAreCheckedLineByLine() throws {
        #expect(try FileMarketData.parse("date,close\n2020-01-02,10\n2020-01-03,10.5\n", symbol: "X").closes == [10, 10.5])
        #expect(throws: MarketDataError.malformed(symbol: "X", line: 1, reason: "expected the header date,close")) {
            try FileMarketData.parse("day,price\n", symbol: "X")
        }
        #expect(throws: MarketDataError.self) { try FileMarketData.parse("date,close\n2020-01-02,abc\n", symbol: "X") }
        #expect(throws: MarketDataError.malformed(symbol: "X", line: 2, reason: "expected YYYY-MM-DD,positive number, got \"2020/01/02,1\"")) {
            try FileMarketData.parse("date,close\n2020/01/02,1\n", symbol: "X")
        }
        #expect(throws: MarketDataError.self) { try FileMarketData.parse("date,close\n2021-02-29,1\n", symbol: "X") }
        #expect(throws: MarketDataError.self) { try FileMarketData.parse("date,close\n2020-01-02,-1\n", symbol: "X") }
        #expect(throws: MarketDataError.self) { try FileMarketData.parse("date,close\n2020-01-03,1\n2020-01-02,1\n", symbol: "X") }
    }

    @Test(arguments: ["MSFT", "SPX", "IXIC"])
    func bundledSeriesLoadAndForecast(_ symbol: String) async throws {
        let series = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily(symbol)
        #expect(series.closes.count == 2520)
        let document = try ForecastDocument.make(series: series, modelVersion: "v1")
        let names = document.models.map(\.name)
        #expect(names.first == "naive" && names.last == "ensemble" && names.contains("drift"))
        #expect(Set(names) == TrainingTests.memberNames.union(["ensemble"]) && document.unavailable == nil, "\(names)")
        #expect(document.models.allSatisfy { $0.forecasts.map(\.horizon) == [1, 2, 5] })
        for model in document.models {
            let accuracy = try #require(model.accuracy, "\(model.name) has no backtest accuracy")
            #expect(accuracy.origins == ForecastDocument.backtestPlan.origins && accuracy.horizons.map(\.horizon) == [1, 2, 5])
            #expect(accuracy.horizons.allSatisfy { $0.mase > 0 && $0.coverage95 >= 0 && $0.coverage95 <= 1 })
        }
        for point in document.models.flatMap(\.forecasts) {
            #expect(point.lo95 < point.lo80 && point.lo80 < point.value && point.value < point.hi80 && point.hi80 < point.hi95)
        }
    }
}

/// A series some models cannot take still gets a document from the others, with the reasons.
@Suite("Forecast documents: models that cannot take a series say why")
struct ForecastDocumentUnavailableTests {
    @Test func aShortSeriesListsTheLearnedModelsReasonsAndTheOthersAnswer() async throws {
        let full = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily("MSFT")
        let short = DailySeries(symbol: "MSFT", dates: Array(full.dates.suffix(140)), closes: Array(full.closes.suffix(140)))
        let document = try await onOwnThread { try ForecastDocument.make(series: short, modelVersion: "v1") }
        let names = document.models.map(\.name)
        #expect(names.contains("arima") && names.contains("ets") && names.last == "ensemble" && !names.contains("xgboost"), "\(names)")
        let unavailable = try #require(document.unavailable)
        #expect(Set(unavailable.map(\.name)) == ["xgboost", "random_forest"], "\(unavailable)")
        #expect(unavailable.allSatisfy { $0.reason.contains("needs at least") && $0.reason.contains("got 140") }, "\(unavailable)")
        #expect(document.models.flatMap(\.forecasts).allSatisfy { $0.value.isFinite && $0.lo95.isFinite && $0.hi95.isFinite })
        let json = try ForecastDocument.encoder().encode(document)
        #expect(String(decoding: json, as: UTF8.self).contains(#""unavailable":[{"#))
    }

    /// Two closes five trading days apart make the learned models' daily returns weekly ones.
    @Test func aGapInTheDatesKeepsTheLearnedModelsOutWithTheirReason() async throws {
        let full = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily("MSFT")
        let recent = full
        let cut = recent.dates.count - 300
        #expect(recent.widestGap(inLast: 800) == nil, "the bundled closes have no gap")
        func skipping(_ count: Int) -> DailySeries {
            DailySeries(symbol: "MSFT", dates: Array(recent.dates[..<cut] + recent.dates[(cut + count)...]),
                        closes: Array(recent.closes[..<cut] + recent.closes[(cut + count)...]))
        }
        // Four missing days is a closure (11–14 September 2001 was one); five is a gap.
        #expect(skipping(TradingGap.tolerated).widestGap(inLast: 800) == nil)
        let gapped = skipping(TradingGap.tolerated + 1)
        let gap = try #require(gapped.widestGap(inLast: 800))
        #expect(gap == TradingGap(after: recent.dates[cut - 1], before: recent.dates[cut + 5], missingTradingDays: 5))
        #expect(gapped.widestGap(inLast: 200) == nil, "a gap before the closes asked about")

        let document = try await onOwnThread { try ForecastDocument.make(series: gapped, modelVersion: "v1") }
        let names = document.models.map(\.name)
        #expect(names.contains("arima") && names.contains("ets") && names.last == "ensemble", "\(names)")
        #expect(Set(names).isDisjoint(with: ModelCatalog.learnedNames), "\(names)")
        let unavailable = try #require(document.unavailable)
        #expect(unavailable.map(\.name) == ModelCatalog.learnedNames)
        #expect(unavailable.allSatisfy { $0.reason.contains("skip 5 trading days between \(gap.after) and \(gap.before)") }, "\(unavailable)")
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

            // A worker's start-up plus every model's fit and backtest: long on a loaded machine.
            let worker = try startWorker()
            let done = try await waitUntil(every: .milliseconds(100)) {
                let status = try await client.execute(uri: "/api/jobs/\(jobID)", method: .get)
                return String(buffer: status.body).contains(#""status":"done""#)
            }
            #expect(done, "job \(jobID) not done after \(Patience.generous): \(worker.output)")

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
            let failure = try await waitForValue("job \(unknown.jobID) for NOPE to fail", every: .milliseconds(100)) {
                let status = String(buffer: try await client.execute(uri: "/api/jobs/\(unknown.jobID)", method: .get).body)
                return status.contains(#""status":"failed""#) ? status : nil
            }
            #expect(failure.contains("unknown symbol NOPE") && failure.contains(#""attempts":1"#), "\(failure)")
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(limit: Patience.generous) == 0)
        }
    }

    @Test func badSymbolsAndMissingAuthAreRefusedBeforeAnythingIsQueued() async throws {
        let dependencies = try await dependencies()
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            // ...including letters that only upper-case into A-Z ("ıbm" would be IBM, "ß" SS).
            for bad in ["bad$sym", "TOOLONGSYMBOL", "%27%3B--", "%C4%B1bm", "%C3%9F", "%EF%AC%80"] {
                let response = try await client.execute(uri: "/api/predictions/\(bad)", method: .get, headers: [.authorization: "Bearer \(token)"])
                #expect(response.status == .badRequest, "\(bad)")
                #expect(String(buffer: response.body).contains(#""field":"symbol""#))
                WebAPIRouteTests.checkContract(contract, "GET", "/api/predictions/{symbol}", response)
            }
            #expect(try await client.execute(uri: "/api/predictions/MSFT", method: .get).status == .unauthorized)
            #expect(try await dependencies.queue.depth().stream == 0)
        }
    }

    /// Redis refusing connections (stopped) and Redis accepting them but never answering (hung):
    /// both give a 503 with Retry-After. The bound is far above the client's 2 s connect and
    /// command timeouts, so only a request that waits on Redis for ever fails it.
    @Test(arguments: ["refusing", "silent"])
    func redisDownGivesA503WithRetryAfterNotAHang(_ failure: String) async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let port = failure == "silent" ? silent.port : try freePort()
        let dependencies = try await dependencies(["REDIS_URL": "redis://127.0.0.1:\(port)/0"])
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let response = try await finishing(within: .seconds(60), "GET /api/predictions/MSFT with Redis \(failure)") {
                try await client.execute(uri: "/api/predictions/MSFT", method: .get, headers: [.authorization: "Bearer \(token)"])
            }
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] != nil)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/predictions/{symbol}", response)
            let precompute = try await finishing(within: .seconds(60), "POST /api/precompute with Redis \(failure)") {
                try await client.execute(uri: "/api/precompute?symbols=MSFT", method: .post, headers: [.adminKey: "admin-key-0123456789"])
            }
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
