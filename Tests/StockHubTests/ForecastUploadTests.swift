import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// A series made of the bundled MSFT closes, so the models see real prices.
enum UploadFixture {
    static func msft(last count: Int) async throws -> DailySeries {
        let full = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily("MSFT")
        return DailySeries(symbol: "MSFT", dates: Array(full.dates.suffix(count)), closes: Array(full.closes.suffix(count)))
    }

    static func csv(_ series: DailySeries, header: String = "date,close", newline: String = "\n") -> String {
        ([header] + zip(series.dates, series.closes).map { "\($0),\($1)" }).joined(separator: newline) + newline
    }

    static func json(_ series: DailySeries, name: String? = nil) -> String {
        let points = zip(series.dates, series.closes).map { #"{"date":"\#($0)","close":\#($1)}"# }.joined(separator: ",")
        return "{" + (name.map { #""name":"\#($0)","# } ?? "") + #""points":[\#(points)]}"#
    }

    /// `count` made-up closes on consecutive weekdays from 2020-01-01.
    static func synthetic(_ count: Int) -> DailySeries {
        var dates: [String] = []
        var day = CivilDate(2020, 1, 1)
        while dates.count < count {
            if !day.isWeekend { dates.append(day.iso) }
            day = day.next
        }
        return DailySeries(symbol: "X", dates: dates, closes: (0..<count).map { 100 + Double($0 % 7) })
    }
}

@Suite("Uploaded series: the rules the web process and the worker share")
struct UploadedSeriesTests {
    let series = UploadFixture.synthetic(70)

    @Test func csvWithCRLFAHeaderInAnyCaseAndTrailingEmptyLinesIsRead() throws {
        let text = "\u{FEFF} Date , CLOSE \r\n" + UploadFixture.csv(series, header: "", newline: "\r\n").dropFirst() + "\r\n\r\n"
        let upload = try UploadedSeries.csv(text, label: "mine")
        #expect(upload.dates == series.dates && upload.closes == series.closes && upload.label == "mine")
    }

    /// Each mistake is named by its line, counting the header as line 1.
    @Test(arguments: [
        (7, "2020-01-09,abc", #"line 7: "abc" is not a number (close)"#),
        (12, "2020-02-30,101", "line 12: 2020-02-30 is not a valid date"),
        (9, "2020-01-09,101", "line 9: 2020-01-09 is not after the previous date 2020-01-09"),
        (5, "2020/01/07,101", #"line 5: "2020/01/07" is not a date in the form YYYY-MM-DD"#),
        (6, "2020-01-08,-3", "line 6: the close must be a finite number above 0, got -3"),
        (6, "2020-01-08,nan", #"line 6: "nan" is not a number (close)"#),
        (6, "2020-01-08,0x10", #"line 6: "0x10" is not a number (close)"#),
        (4, "2020-01-06,1,2", #"line 4: expected 2 fields (date,close), got 3 in "2020-01-06,1,2""#),
        (3, "", "line 3: empty line; expected YYYY-MM-DD,number"),
    ])
    func eachCSVMistakeNamesItsLine(line: Int, replacement: String, detail: String) throws {
        // Weekdays from Wednesday 2020-01-01: line 2 is 2020-01-01, line 8 is 2020-01-09.
        var lines = UploadFixture.csv(series).split(separator: "\n").map(String.init)
        lines[line - 1] = replacement
        #expect(throws: UploadedSeries.Problem(field: "body", line: line, detail: detail)) {
            try UploadedSeries.csv(lines.joined(separator: "\n"), label: "X")
        }
    }

    @Test func aWrongHeaderOrAnEmptyBodyIsRefused() {
        #expect(throws: UploadedSeries.Problem(field: "body", line: 1, detail: #"line 1: expected the header date,close, got "day,price""#)) {
            try UploadedSeries.csv("day,price\n2020-01-01,1\n", label: "X")
        }
        #expect(throws: UploadedSeries.Problem.self) { try UploadedSeries.csv("\n\n", label: "X") }
    }

    @Test func tooShortSaysHowManyAreNeededAndHowManyCame() {
        let short = UploadFixture.synthetic(20)
        #expect(UploadedSeries.minimumRows == 65)
        #expect(throws: UploadedSeries.Problem(field: "body", line: nil,
                                               detail: "the series has 20 closes; forecasting needs at least 65 (60 to fit on and 5 to score the backtest)")) {
            try UploadedSeries.csv(UploadFixture.csv(short), label: "X")
        }
    }

    @Test func moreThanTenThousandRowsAreRefusedBeforeTheyAreRead() {
        let text = "date,close\n" + String(repeating: "junk\n", count: UploadedSeries.maximumRows + 1)
        #expect(throws: UploadedSeries.Problem(field: "body", line: nil, detail: "the series has 10001 rows; at most 10000 are accepted")) {
            try UploadedSeries.csv(text, label: "X")
        }
    }

    @Test func jsonMistakesNameThePoint() {
        var points = zip(series.dates, series.closes).map { UploadedSeries.JSONBody.Point(date: $0, close: $1) }
        points[6] = .init(date: points[6].date, close: -1)
        #expect(throws: UploadedSeries.Problem(field: "points[6].close", line: nil,
                                               detail: "points[6].close: the close must be a finite number above 0, got -1.0")) {
            try UploadedSeries.points(points, label: "X")
        }
        points[6] = .init(date: "2021-02-29", close: 1)
        #expect(throws: UploadedSeries.Problem(field: "points[6].date", line: nil, detail: "points[6].date: 2021-02-29 is not a valid date")) {
            try UploadedSeries.points(points, label: "X")
        }
    }

    @Test func labelsAreShortPlainTextOrTheDefault() throws {
        #expect(try UploadedSeries.label(nil) == "UPLOAD")
        #expect(try UploadedSeries.label("   ") == "UPLOAD")
        #expect(try UploadedSeries.label(" My fund_2.b-c ") == "My fund_2.b-c")
        for bad in [String(repeating: "a", count: 41), "a/b", "<script>", "Café", "a\tb"] {
            #expect(throws: UploadedSeries.Problem.self, "\(bad)") { try UploadedSeries.label(bad) }
        }
    }

    /// The worker reads the params back through the same checks, and a CSV and a JSON body of
    /// one series are one job.
    @Test func paramsRoundTripAndTheDedupKeyIsTheSeries() throws {
        let fromCSV = try UploadedSeries.csv(UploadFixture.csv(series), label: "X")
        let fromJSON = try UploadedSeries.points(zip(series.dates, series.closes).map { .init(date: $0, close: $1) }, label: "X")
        #expect(try UploadedSeries(params: fromCSV.params) == fromCSV)
        #expect(fromCSV.dedupKey(modelVersion: "v1") == fromJSON.dedupKey(modelVersion: "v1"))
        #expect(fromCSV.dedupKey(modelVersion: "v1") != fromCSV.dedupKey(modelVersion: "v2"))
        let relabelled = try UploadedSeries.csv(UploadFixture.csv(series), label: "Y")
        #expect(relabelled.dedupKey(modelVersion: "v1") != fromCSV.dedupKey(modelVersion: "v1"))
        #expect(fromCSV.job(modelVersion: "v1").type == "forecast")

        // Params the queue should never hold are refused, not trusted.
        for bad in [#"{"label":"X","dates":["2020-01-01"],"closes":[1,2]}"#, #"{"label":"X","dates":["2020-01-01"],"closes":[1]}"#,
                    #"{"label":"a/b","dates":[],"closes":[]}"#, "[]", ""] {
            #expect(throws: (any Error).self, "\(bad)") { try UploadedSeries(params: bad) }
        }
    }
}

@Suite("POST /api/forecasts: uploads become forecast jobs")
struct ForecastUploadRouteTests {
    let contract: OpenAPIContract
    let namespace = uniqueName("test-upload")
    init() throws { contract = try OpenAPIContract.load() }

    func dependencies(_ extra: [String: String] = [:]) async throws -> AppDependencies {
        try await WebAPIRouteTests.liveDependencies(["REDIS_NAMESPACE": namespace, "JWT_SECRET": AuthTests.secret].merging(extra) { $1 })
    }

    static func post(_ client: some TestClientProtocol, _ body: String, contentType: String?, query: String = "", token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let contentType { headers[.contentType] = contentType }
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/api/forecasts\(query)", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func check(_ response: TestResponse) {
        WebAPIRouteTests.checkContract(contract, "POST", "/api/forecasts", response)
    }

    @Test func badUploadsAre400sNamingTheLineAndNothingIsQueued() async throws {
        let dependencies = try await dependencies()
        try await dependencies.queue.prepare()
        let token = try await dependencies.tokens.issue(for: UUID()).token
        let series = UploadFixture.synthetic(80)
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            var lines = UploadFixture.csv(series).split(separator: "\n").map(String.init)
            lines[6] = "\(series.dates[5]),abc"
            let badLine = try await Self.post(client, lines.joined(separator: "\n"), contentType: "text/csv", token: token)
            #expect(badLine.status == .badRequest)
            check(badLine)
            let problem = try AuthTests.problem(badLine)
            #expect(problem.field == "body" && problem.line == 7 && problem.detail == #"line 7: "abc" is not a number (close)"#, "\(problem)")

            let short = try await Self.post(client, UploadFixture.csv(UploadFixture.synthetic(10)), contentType: nil, token: token)
            #expect(short.status == .badRequest)
            check(short)
            #expect(try AuthTests.problem(short).detail.contains("has 10 closes; forecasting needs at least 65"))

            let tooMany = try await Self.post(client, UploadFixture.csv(UploadFixture.synthetic(10_001)), contentType: "text/plain", token: token)
            #expect(tooMany.status == .badRequest)
            check(tooMany)
            #expect(try AuthTests.problem(tooMany).detail == "the series has 10001 rows; at most 10000 are accepted")

            var json = UploadFixture.json(series)
            json = json.replacingOccurrences(of: #""date":"\#(series.dates[3])""#, with: #""date":"2020-13-01""#)
            let badPoint = try await Self.post(client, json, contentType: "application/json", token: token)
            #expect(badPoint.status == .badRequest)
            check(badPoint)
            #expect(try AuthTests.problem(badPoint).field == "points[3].date")
            #expect(try AuthTests.problem(badPoint).detail == "points[3].date: 2020-13-01 is not a valid date")

            let wrongType = try await Self.post(client, #"{"points":[{"date":"2020-01-01","close":"12"}]}"#, contentType: "application/json", token: token)
            #expect(wrongType.status == .badRequest)
            check(wrongType)
            #expect(try AuthTests.problem(wrongType).field == "points[0].close")

            let badName = try await Self.post(client, UploadFixture.csv(series), contentType: "text/csv", query: "?name=a%2Fb", token: token)
            #expect(badName.status == .badRequest)
            #expect(try AuthTests.problem(badName).field == "name")
            check(badName)

            // Past MAX_BODY_BYTES (1 MiB) the body is not read to its end.
            let huge = "date,close\n" + String(repeating: "2020-01-01,1.0000000000\n", count: 50_000)
            let tooBig = try await Self.post(client, huge, contentType: "text/csv", token: token)
            #expect(tooBig.status == .contentTooLarge)
            check(tooBig)

            let xml = try await Self.post(client, "<series/>", contentType: "application/xml", token: token)
            #expect(xml.status == .unsupportedMediaType)
            check(xml)

            let anonymous = try await Self.post(client, UploadFixture.csv(series), contentType: "text/csv", token: nil)
            #expect(anonymous.status == .unauthorized)
            check(anonymous)
            #expect(try await dependencies.queue.depth().stream == 0)
        }
    }

    @Test func identicalUploadsInFlightShareAJobWhateverTheirMediaType() async throws {
        let dependencies = try await dependencies()
        try await dependencies.queue.prepare()
        let token = try await dependencies.tokens.issue(for: UUID()).token
        let series = UploadFixture.synthetic(90)
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let first = try await Self.post(client, UploadFixture.csv(series), contentType: "text/csv", query: "?name=Fund%20A", token: token)
            let second = try await Self.post(client, UploadFixture.json(series, name: "Fund A"), contentType: "application/json", token: token)
            let other = try await Self.post(client, UploadFixture.csv(series), contentType: "text/csv", query: "?name=Fund%20B", token: token)
            for response in [first, second, other] {
                #expect(response.status == .accepted)
                check(response)
            }
            let accepted = try [first, second, other].map { try JSONDecoder().decode(PredictionsTests.Accepted.self, from: Data(buffer: $0.body)) }
            #expect(accepted[0].jobID == accepted[1].jobID && !accepted[0].deduplicated && accepted[1].deduplicated)
            #expect(accepted[2].jobID != accepted[0].jobID && !accepted[2].deduplicated)
            #expect(first.headers[.location] == "/api/jobs/\(accepted[0].jobID)")
            let record = try #require(try await dependencies.queue.record(accepted[0].jobID))
            #expect(record.type == "forecast")
            #expect(try UploadedSeries(params: record.params).label == "Fund A")
        }
    }

    @Test func redisDownGivesA503WithRetryAfter() async throws {
        let dependencies = try await dependencies(["REDIS_URL": "redis://127.0.0.1:\(try freePort())/0"])
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let response = try await finishing(within: .seconds(60), "POST /api/forecasts with Redis down") {
                try await Self.post(client, UploadFixture.csv(UploadFixture.synthetic(70)), contentType: "text/csv", token: token)
            }
            #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] != nil)
            check(response)
        }
    }

    /// The whole path: CSV and JSON uploads queued, a real Worker fits them, and each job's result
    /// is a forecast document of the upload; a job whose params are unusable fails at once.
    @Test func aWorkerAnswersUploadsWithForecastDocuments() async throws {
        let dependencies = try await dependencies()
        try await dependencies.queue.prepare()
        let token = try await dependencies.tokens.issue(for: UUID()).token
        let recent = try await UploadFixture.msft(last: 300)
        let older = recent.droppingLast(20)
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let csv = try await Self.post(client, UploadFixture.csv(recent), contentType: "text/csv", query: "?name=My%20CSV", token: token)
            let json = try await Self.post(client, UploadFixture.json(older, name: "my.json"), contentType: "application/json", token: token)
            let ids = try [csv, json].map { try JSONDecoder().decode(PredictionsTests.Accepted.self, from: Data(buffer: $0.body)).jobID }
            // Params a web process would never write: the worker refuses them rather than fit.
            let tampered = try await dependencies.queue.enqueue(type: UploadedSeries.jobType, params: #"{"label":"X","dates":["2020-01-01"],"closes":[1]}"#)

            var environment = TestServices.environment()
            environment["REDIS_NAMESPACE"] = namespace
            environment["LOG_LEVEL"] = "notice"
            let worker = try ChildProcess(try BuiltProducts.path("Worker"), environment: environment)
            func finished(_ id: String) async throws -> JobRecord {
                try await waitForValue("job \(id) to finish: \(worker.output)", every: .milliseconds(100)) {
                    let record = try await dependencies.queue.record(id)
                    return record?.status.isFinished == true ? record : nil
                }
            }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            for (id, label, series) in [(ids[0], "My CSV", recent), (ids[1], "my.json", older)] {
                let record = try await finished(id)
                #expect(record.status == .done, "\(record.error ?? "")")
                let document = try decoder.decode(ForecastDocument.self, from: Data((record.result ?? "").utf8))
                #expect(document.symbol == label && document.source == .upload)
                #expect(document.asOf == series.dates.last && document.lastClose == series.closes.last)
                #expect(document.history.last?.close == series.closes.last)
                #expect(document.models.contains { $0.name == "arima" } && document.models.last?.name == "ensemble")
                #expect(document.models.allSatisfy { $0.forecasts.map(\.horizon) == [1, 2, 5] && $0.source == .fit })
                #expect(document.models.allSatisfy { $0.observations == series.closes.count })

                let status = try await client.execute(uri: "/api/jobs/\(id)", method: .get)
                #expect(String(buffer: status.body).contains(#""source":"upload""#))
                WebAPIRouteTests.checkContract(contract, "GET", "/api/jobs/{id}", status)
            }
            let refused = try await finished(tampered.id)
            #expect(refused.status == .failed && refused.attempts == 1)
            #expect(refused.error?.contains("forecasting needs at least 65") == true, "\(refused.error ?? "")")
            // Nothing of the upload lands in the symbol's prediction cache.
            #expect(try await PredictionCache(redis: dependencies.clients.redis, keys: dependencies.settings.redisKeys,
                                              modelVersion: dependencies.settings.modelVersion).document(for: "MY CSV") == nil)
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(limit: Patience.generous) == 0)
        }
    }
}
