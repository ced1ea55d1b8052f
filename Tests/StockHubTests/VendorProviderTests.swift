import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Shared
import Synchronization
import Testing

/// Finnhub and Alpha Vantage against a local server that answers, on a real socket, with the
/// recorded (hand-written, documented-format) answers in `Tests/Fixtures/vendors`. The symbol
/// chooses the answer: AAPL/IBM the data, NOPE an unknown symbol, and LIMIT, BADKEY, FREE, BOOM,
/// JUNK, NOTE, QUOTA, BURST, PREM, EMPTY the vendor's ways of failing.
@Suite("Vendor market-data providers")
struct VendorProviderTests {
    static let finnhubKey = "fh-test-key"
    /// With characters that must be escaped in a query string.
    static let alphaVantageKey = "AV+test/key=1"

    /// Every request the fake vendors saw, and whether it carried the key.
    final class Seen: Sendable {
        let requests = Mutex<[(path: String, hadKey: Bool)]>([])
        func record(_ path: String, hadKey: Bool) { requests.withLock { $0.append((path, hadKey)) } }
        var count: Int { requests.withLock { $0.count } }
        var withoutKey: [String] { requests.withLock { $0.filter { !$0.hadKey }.map(\.path) } }
    }

    struct Vendors: Sendable {
        let finnhub: FinnhubProvider
        let alphaVantage: AlphaVantageProvider
        let seen: Seen
    }

    static let fixtures: URL = {
        // In a scratch package a test file may be a symlink; resolve it before walking up.
        let file = #filePath
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: file)) ?? file
        return URL(fileURLWithPath: target).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/vendors")
    }()

    static func answer(_ fixture: String, status: HTTPResponse.Status = .ok) -> Response {
        let data = FileManager.default.contents(atPath: fixtures.appendingPathComponent(fixture).path) ?? Data("missing fixture \(fixture)".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The failures both vendors can answer with, or nil for the symbol's data. Alpha Vantage
    /// documents no 429 body; a proxy in front of it might still send one.
    static func statusAnswer(for symbol: String, vendor: String) -> Response? {
        switch symbol {
        case "LIMIT" where vendor == "finnhub": answer("finnhub/error_429.json", status: .tooManyRequests)
        case "LIMIT": Response(status: .tooManyRequests, body: ResponseBody(byteBuffer: ByteBuffer(string: "Too Many Requests")))
        case "BADKEY" where vendor == "finnhub": answer("finnhub/error_401.json", status: .unauthorized)
        case "BOOM": Response(status: .internalServerError, body: ResponseBody(byteBuffer: ByteBuffer(string: "upstream error")))
        case "JUNK": Response(status: .ok, headers: [.contentType: "text/html"],
                              body: ResponseBody(byteBuffer: ByteBuffer(string: "<html><body>Service temporarily unavailable</body></html>")))
        default: nil
        }
    }

    static func finnhubRoutes(_ router: Router<BasicRequestContext>, _ seen: Seen) {
        func route(_ path: String, _ data: @escaping @Sendable (_ symbol: String, _ request: Request) -> Response) {
            router.get("/finnhub\(path)") { request, _ -> Response in
                seen.record(path, hadKey: request.headers[HTTPField.Name("X-Finnhub-Token")!] == finnhubKey)
                let symbol = request.uri.queryParameters.get("symbol") ?? ""
                return statusAnswer(for: symbol, vendor: "finnhub") ?? data(symbol, request)
            }
        }
        route("/quote") { symbol, _ in answer(symbol == "AAPL" ? "finnhub/quote_AAPL.json" : "finnhub/quote_unknown.json") }
        route("/stock/candle") { symbol, request in
            switch (symbol, request.uri.queryParameters.get("resolution")) {
            case ("FREE", _): answer("finnhub/error_403.json", status: .forbidden)
            case ("AAPL", "D"): answer("finnhub/candle_daily_AAPL.json")
            case ("AAPL", "1"): answer("finnhub/candle_intraday_AAPL.json")
            default: answer("finnhub/candle_no_data.json")
            }
        }
        route("/stock/profile2") { symbol, _ in answer(symbol == "AAPL" ? "finnhub/profile2_AAPL.json" : "finnhub/profile2_unknown.json") }
        route("/company-news") { symbol, _ in answer(symbol == "AAPL" ? "finnhub/company_news_AAPL.json" : "finnhub/company_news_empty.json") }
        route("/news") { _, request in
            request.uri.queryParameters.get("category") == "general" ? answer("finnhub/general_news.json") : Response(status: .badRequest)
        }
    }

    static func alphaVantageRoutes(_ router: Router<BasicRequestContext>, _ seen: Seen) {
        router.get("/av/query") { request, _ -> Response in
            let query = request.uri.queryParameters
            let function = query.get("function") ?? ""
            seen.record(function, hadKey: query.get("apikey") == alphaVantageKey)
            let symbol = query.get("symbol") ?? query.get("tickers") ?? ""
            if let failure = statusAnswer(for: symbol, vendor: "alpha_vantage") { return failure }
            switch symbol {
            case "NOTE": return answer("alpha_vantage/note_call_frequency.json")
            case "QUOTA": return answer("alpha_vantage/information_daily_limit.json")
            case "BURST": return answer("alpha_vantage/information_burst.json")
            case "PREM": return answer("alpha_vantage/information_premium.json")
            case "BADKEY": return answer("alpha_vantage/error_apikey.json")
            default: break
            }
            switch (function, symbol) {
            case ("GLOBAL_QUOTE", "IBM"): return answer("alpha_vantage/global_quote_IBM.json")
            case ("GLOBAL_QUOTE", _): return answer("alpha_vantage/global_quote_unknown.json")
            case ("TIME_SERIES_DAILY", "IBM") where query.get("outputsize") == "compact": return answer("alpha_vantage/daily_IBM.json")
            case ("TIME_SERIES_DAILY", "EMPTY"): return answer("alpha_vantage/daily_empty.json")
            case ("TIME_SERIES_INTRADAY", "IBM") where query.get("interval") == "1min": return answer("alpha_vantage/intraday_IBM.json")
            case ("OVERVIEW", "IBM"): return answer("alpha_vantage/overview_IBM.json")
            case ("OVERVIEW", "SPRS"): return answer("alpha_vantage/overview_sparse.json")
            case ("OVERVIEW", _): return answer("alpha_vantage/overview_unknown.json")
            case ("NEWS_SENTIMENT", "IBM"): return answer("alpha_vantage/news_IBM.json")
            case ("NEWS_SENTIMENT", ""): return answer("alpha_vantage/news_general.json")
            case ("NEWS_SENTIMENT", _): return answer("alpha_vantage/news_empty.json")
            default: return answer("alpha_vantage/error_invalid_call.json")
            }
        }
    }

    /// Runs `body` against both fake vendors, then checks every request carried the key.
    func withVendors(_ body: @escaping @Sendable (Vendors) async throws -> Void) async throws {
        let seen = Seen()
        let router = Router()
        Self.finnhubRoutes(router, seen)
        Self.alphaVantageRoutes(router, seen)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let http = HTTPClient()
            try await body(Vendors(
                finnhub: FinnhubProvider(apiKey: Self.finnhubKey, baseURL: base + "/finnhub", http: http),
                alphaVantage: AlphaVantageProvider(apiKey: Self.alphaVantageKey, baseURL: base + "/av", http: http),
                seen: seen))
            await http.shutdown()
        }
        #expect(seen.count > 0)
        #expect(seen.withoutKey.isEmpty, "requests without the api key: \(seen.withoutKey)")
    }

    /// The ProviderError a call ends in (nil, and a recorded issue, for success or another error).
    func failure<T>(sourceLocation: SourceLocation = #_sourceLocation, _ call: () async throws -> T) async -> ProviderError? {
        do {
            let value = try await call()
            Issue.record("expected a ProviderError, got \(value)", sourceLocation: sourceLocation)
        } catch let error as ProviderError {
            return error
        } catch {
            Issue.record("expected a ProviderError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    func expectFailure<T>(_ expected: ProviderError, sourceLocation: SourceLocation = #_sourceLocation, _ call: () async throws -> T) async {
        let error = await failure(sourceLocation: sourceLocation, call)
        #expect(error == expected, sourceLocation: sourceLocation)
    }

    /// For answers whose wording is the vendor's to change.
    func expectFailure<T>(kind: String, sourceLocation: SourceLocation = #_sourceLocation, _ call: () async throws -> T) async {
        let error = await failure(sourceLocation: sourceLocation, call)
        #expect(error?.kind == kind, "\(error.map(String.init(describing:)) ?? "no error")", sourceLocation: sourceLocation)
    }

    // MARK: Finnhub

    @Test func finnhubQuoteIsTheLastPriceWithThePreviousClose() async throws {
        try await withVendors { vendors in
            let quote = try await vendors.finnhub.quote("AAPL")
            #expect(quote == Quote(symbol: "AAPL", price: 185.64, previousClose: 192.53, asOf: "2024-01-02T21:00:00Z", source: "finnhub"))
            #expect(vendors.finnhub.name == "finnhub")
        }
    }

    @Test func finnhubDailyCandlesBecomeClosesOnTheirUTCDatesOldestFirst() async throws {
        try await withVendors { vendors in
            let series = try await vendors.finnhub.daily("AAPL")
            #expect(series.symbol == "AAPL")
            #expect(series.dates == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10"])
            #expect(series.closes == [185.64, 184.25, 181.91, 181.18, 185.56, 185.14, 186.19])
            #expect(zip(series.dates, series.dates.dropFirst()).allSatisfy { $0 < $1 })
        }
    }

    @Test func finnhubIntradayKeepsTheLatestNewYorkSessionIncludingItsAfterHours() async throws {
        try await withVendors { vendors in
            let points = try await vendors.finnhub.intraday("AAPL")
            // 2024-01-11T00:30Z is 19:30 on Jan 10 in New York: the same session; Jan 9 is not.
            #expect(points == [
                PricePoint(time: "2024-01-10T14:30:00Z", price: 184.35),
                PricePoint(time: "2024-01-10T14:31:00Z", price: 184.52),
                PricePoint(time: "2024-01-10T14:32:00Z", price: 184.61),
                PricePoint(time: "2024-01-11T00:30:00Z", price: 186.05),
            ])
        }
    }

    @Test func finnhubOverviewStatesMarketCapitalizationInWholeUnits() async throws {
        try await withVendors { vendors in
            let overview = try await vendors.finnhub.overview("AAPL")
            #expect(overview.name == "Apple Inc")
            #expect(overview.exchange == "NASDAQ NMS - GLOBAL MARKET")
            #expect(overview.currency == "USD")
            #expect(overview.country == "US")
            #expect(overview.industry == "Technology")
            #expect(overview.website == "https://www.apple.com/")
            #expect(overview.marketCapitalization == 2_871_110.5 * 1_000_000)  // Finnhub: millions
            #expect(overview.sector == nil && overview.description == nil)
            #expect(overview.source == "finnhub")
        }
    }

    @Test func finnhubNewsKeepsTheVendorIdsNewestFirst() async throws {
        try await withVendors { vendors in
            let company = try await vendors.finnhub.news(symbol: "AAPL")
            #expect(company.map(\.id) == ["125113877", "125110412", "125108215"])
            #expect(company[0].title == "Apple loses spot as world's most valuable company")
            #expect(company[0].source == "Reuters")
            #expect(company[0].publishedAt == "2024-01-11T00:00:00Z")
            #expect(company[0].imageUrl == nil)  // "" in the answer
            #expect(company[1].imageUrl == "https://s.yimg.com/ny/api/res/1.2/vision-pro.jpg")

            let general = try await vendors.finnhub.news(symbol: nil)
            #expect(general.map(\.id) == ["7331082", "7331054"])
            #expect(general[0].url == "https://www.cnbc.com/2024/01/10/stock-market-today-live-updates.html")
        }
    }

    @Test func finnhubUnknownSymbolIsNoDataNeverAZeroPrice() async throws {
        try await withVendors { vendors in
            let noData = ProviderError.noData(provider: "finnhub", symbol: "NOPE")
            await expectFailure(noData) { try await vendors.finnhub.quote("NOPE") }  // all zeros
            await expectFailure(noData) { try await vendors.finnhub.overview("NOPE") }  // {}
            await expectFailure(noData) { try await vendors.finnhub.daily("NOPE") }  // s: no_data
            await expectFailure(noData) { try await vendors.finnhub.intraday("NOPE") }
            let news = try await vendors.finnhub.news(symbol: "NOPE")
            #expect(news.isEmpty)  // []
        }
    }

    @Test func finnhubStatusesMapToProviderErrors() async throws {
        try await withVendors { vendors in
            await expectFailure(.rateLimited(provider: "finnhub", detail: "HTTP 429: API limit reached. Please try again later. Remaining Limit: 0")) {
                try await vendors.finnhub.quote("LIMIT")
            }
            await expectFailure(.notAuthorized(provider: "finnhub", detail: "HTTP 401: Invalid API key")) { try await vendors.finnhub.quote("BADKEY") }
            // Free keys may not read candles.
            await expectFailure(.notAuthorized(provider: "finnhub", detail: "HTTP 403: You don't have access to this resource.")) { try await vendors.finnhub.daily("FREE") }
            await expectFailure(kind: "notAuthorized") { try await vendors.finnhub.intraday("FREE") }
            await expectFailure(.unavailable(provider: "finnhub", detail: "HTTP 500")) { try await vendors.finnhub.overview("BOOM") }
            await expectFailure(.unavailable(provider: "finnhub", detail: "news: not the documented format")) { try await vendors.finnhub.news(symbol: "JUNK") }
            await expectFailure(kind: "unavailable") { try await vendors.finnhub.quote("JUNK") }
        }
    }

    // MARK: Alpha Vantage

    @Test func alphaVantageQuoteIsTheGlobalQuoteDatedByItsTradingDay() async throws {
        try await withVendors { vendors in
            let quote = try await vendors.alphaVantage.quote("IBM")
            #expect(quote == Quote(symbol: "IBM", price: 161.23, previousClose: 161.18, asOf: "2024-01-10", source: "alpha_vantage"))
            #expect(vendors.alphaVantage.name == "alpha_vantage")
        }
    }

    @Test func alphaVantageDailySeriesIsSortedOldestFirst() async throws {
        try await withVendors { vendors in
            let series = try await vendors.alphaVantage.daily("IBM")
            #expect(series.dates == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10"])
            #expect(series.closes == [162.0, 160.1, 158.28, 159.16, 161.14, 161.18, 161.23])
        }
    }

    @Test func alphaVantageIntradayTurnsEasternTimesIntoUTCInstantsOfTheLatestSession() async throws {
        try await withVendors { vendors in
            let points = try await vendors.alphaVantage.intraday("IBM")
            // January: US/Eastern is UTC-5. 19:59 on Jan 10 is 00:59 UTC on Jan 11.
            #expect(points == [
                PricePoint(time: "2024-01-10T14:30:00Z", price: 160.07),
                PricePoint(time: "2024-01-10T14:31:00Z", price: 160.15),
                PricePoint(time: "2024-01-10T21:00:00Z", price: 161.23),
                PricePoint(time: "2024-01-11T00:59:00Z", price: 161.40),
            ])
        }
    }

    @Test func alphaVantageOverviewReadsNoneAsUnknown() async throws {
        try await withVendors { vendors in
            let ibm = try await vendors.alphaVantage.overview("IBM")
            #expect(ibm.name == "International Business Machines")
            #expect(ibm.exchange == "NYSE")
            #expect(ibm.currency == "USD")
            #expect(ibm.country == "USA")
            #expect(ibm.sector == "TECHNOLOGY")
            #expect(ibm.industry == "COMPUTER & OFFICE EQUIPMENT")
            #expect(ibm.marketCapitalization == 147_339_837_000)
            #expect(ibm.website == "https://www.ibm.com")
            #expect(ibm.description?.hasPrefix("International Business Machines Corporation (IBM)") == true)

            let sparse = try await vendors.alphaVantage.overview("SPRS")
            #expect(sparse.name == "Sparse Holdings Corp")
            #expect(sparse.sector == nil && sparse.industry == nil && sparse.website == nil && sparse.description == nil)
            #expect(sparse.marketCapitalization == nil)
        }
    }

    @Test func alphaVantageNewsIsIdentifiedByItsURLNewestFirst() async throws {
        try await withVendors { vendors in
            let news = try await vendors.alphaVantage.news(symbol: "IBM")
            #expect(news.map(\.publishedAt) == ["2024-01-10T21:30:00Z", "2024-01-10T15:15:00Z", "2024-01-09T12:05:00Z"])
            #expect(news[0].title == "Is IBM stock a buy before earnings?")
            #expect(news[0].source == "Motley Fool")
            #expect(news[0].imageUrl == nil)  // null in the answer
            #expect(news[0].id == SHA256Hex.of("https://www.fool.com/investing/2024/01/10/is-ibm-stock-a-buy/"))
            #expect(news[1].imageUrl == "https://cdn.benzinga.com/files/images/story/2024/ibm.jpeg")
            #expect(Set(news.map(\.id)).count == 3)

            let general = try await vendors.alphaVantage.news(symbol: nil)
            #expect(general.map(\.title) == ["Wall Street ends higher ahead of CPI report"])
        }
    }

    @Test func alphaVantageUnknownSymbolIsNoData() async throws {
        try await withVendors { vendors in
            let av = vendors.alphaVantage
            await expectFailure(.noData(provider: "alpha_vantage", symbol: "NOPE")) { try await av.quote("NOPE") }  // "Global Quote": {}
            await expectFailure(.noData(provider: "alpha_vantage", symbol: "NOPE")) { try await av.overview("NOPE") }  // {}
            await expectFailure(.noData(provider: "alpha_vantage", symbol: "NOPE")) { try await av.daily("NOPE") }  // Error Message
            await expectFailure(.noData(provider: "alpha_vantage", symbol: "NOPE")) { try await av.intraday("NOPE") }
            await expectFailure(.noData(provider: "alpha_vantage", symbol: "EMPTY")) { try await av.daily("EMPTY") }  // empty series
            let news = try await av.news(symbol: "NOPE")
            #expect(news.isEmpty)  // empty feed
        }
    }

    @Test func alphaVantageRefusalsInsideHTTP200AreTold() async throws {
        try await withVendors { vendors in
            let av = vendors.alphaVantage
            await expectFailure(kind: "rateLimited") { try await av.quote("NOTE") }  // per-minute Note
            await expectFailure(kind: "rateLimited") { try await av.daily("QUOTA") }  // daily quota, mentions premium too
            await expectFailure(kind: "rateLimited") { try await av.news(symbol: "BURST") }  // 1 request per second
            let premium = await failure { try await av.intraday("PREM") }
            #expect(premium?.kind == "notAuthorized")
            #expect(premium?.description.contains("premium endpoint") == true)
            await expectFailure(kind: "notAuthorized") { try await av.overview("BADKEY") }  // apikey invalid or missing
        }
    }

    @Test func alphaVantageHTTPFailuresAreRateLimitedOrUnavailableAndNeverShowTheKey() async throws {
        try await withVendors { vendors in
            let av = vendors.alphaVantage
            await expectFailure(kind: "rateLimited") { try await av.quote("LIMIT") }
            await expectFailure(.unavailable(provider: "alpha_vantage", detail: "HTTP 500")) { try await av.daily("BOOM") }
            await expectFailure(.unavailable(provider: "alpha_vantage", detail: "GLOBAL_QUOTE: not the documented format")) { try await av.quote("JUNK") }
            let refused = await failure { try await av.daily("QUOTA") }
            #expect(refused?.description.contains("25 requests per day") == true)  // the vendor's words, for the log
            #expect(refused?.description.contains(Self.alphaVantageKey) == false)
        }
    }

    // MARK: Both

    @Test func aVendorThatNeverAnswersIsUnavailableWithinTheClientTimeout() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let http = HTTPClient(settings: HTTPClientSettings(connectTimeout: .seconds(2), timeout: .milliseconds(400)))
        let base = "http://127.0.0.1:\(silent.port)"
        let finnhub = FinnhubProvider(apiKey: Self.finnhubKey, baseURL: base, http: http)
        let alphaVantage = AlphaVantageProvider(apiKey: Self.alphaVantageKey, baseURL: base, http: http)

        let fromFinnhub = await failure { try await finnhub.quote("AAPL") }
        #expect(fromFinnhub?.kind == "unavailable")
        #expect(fromFinnhub?.description.contains("no complete answer") == true)
        let fromAlphaVantage = await failure { try await alphaVantage.daily("IBM") }
        #expect(fromAlphaVantage?.kind == "unavailable")
        #expect(fromAlphaVantage?.description.contains(Self.alphaVantageKey) == false)
        await http.shutdown()
    }
}

extension VendorProviderTests {
    /// Connections reset as soon as they open: an outage the chain moves past, never a crash.
    @Test func aVendorThatResetsEveryConnectionIsUnavailable() async throws {
        let resetting = try ResettingListener()
        defer { resetting.close() }
        let http = HTTPClient(settings: HTTPClientSettings(connectTimeout: .seconds(2), timeout: .seconds(5)))
        let base = "http://127.0.0.1:\(resetting.port)"
        let finnhub = FinnhubProvider(apiKey: Self.finnhubKey, baseURL: base, http: http)
        let alphaVantage = AlphaVantageProvider(apiKey: Self.alphaVantageKey, baseURL: base, http: http)
        #expect(await failure { try await finnhub.quote("AAPL") }?.kind == "unavailable")
        #expect(await failure { try await alphaVantage.news(symbol: nil) }?.kind == "unavailable")
        // Through a chain, the bundled files answer instead.
        let files = FileMarketData(directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/market").path)
        let quote = try await MarketDataChain(providers: [finnhub, alphaVantage, files]).quote("MSFT")
        #expect(quote.source == "file")
        await http.shutdown()
    }
}

extension ProviderError {
    /// The case, for checks that do not pin the vendor's wording.
    var kind: String {
        switch self {
        case .rateLimited: "rateLimited"
        case .notAuthorized: "notAuthorized"
        case .noData: "noData"
        case .notOffered: "notOffered"
        case .unavailable: "unavailable"
        }
    }
}
