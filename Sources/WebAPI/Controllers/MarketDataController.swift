import Foundation
import Hummingbird
import Shared

/// Quotes, price history, intraday points, company overviews, news and batch quotes, from the
/// provider chain through its Redis cache. A symbol is checked before any provider is asked. No
/// answer is a 500: nobody has the symbol is a 404, every provider failing a 503 with
/// Retry-After (unless a stale answer can be served, marked so), and data no provider offers
/// (intraday and news from the bundled files) an empty list with the reason.
struct MarketDataController {
    let cache: MarketDataCache
    /// Encoded 200 answers per request (route, symbol, range), served as they are for
    /// `localTTL`: a hot symbol costs one Redis read and one encoding per process per interval,
    /// not per request (decoding ten years of closes for every chart was ~360 requests/s).
    /// `age_seconds` in a remembered answer is at most `localTTL` behind.
    let answers = ExpiringCache<String, ByteBuffer>(maxEntries: 4096, maxCost: 64 << 20)
    var localTTL: Duration = .seconds(2)

    static let maxBatchSymbols = 20
    static let newsArticles = 6

    func addRoutes(to routes: RouteTable) {
        routes.get("/api/stock/:symbol", access: .user) { _, context in
            let symbol = try symbol(context)
            return try await remembered("stock \(symbol)", kind: .quote) { StockQuote(try await quote(symbol)) }
        }
        routes.get("/api/timeseries/:symbol", access: .user) { request, context in try await timeseries(request, context) }
        routes.get("/api/intraday/:symbol", access: .user) { _, context in try await intraday(context) }
        routes.get("/api/overview/:symbol", access: .user) { _, context in try await overview(context) }
        routes.get("/api/news", access: .user) { request, _ in try await news(request) }
        routes.get("/api/tickers/batch", access: .user) { request, _ in try await batch(request) }
    }

    struct StockQuote: Encodable {
        let symbol: String
        let price: Double
        let previousClose: Double?
        let change: Double?
        let changePercent: Double?
        let asOf: String
        let source: String
        let stale: Bool
        let ageSeconds: Int
        enum CodingKeys: String, CodingKey {
            case symbol, price, change, source, stale
            case previousClose = "previous_close"
            case changePercent = "change_percent"
            case asOf = "as_of"
            case ageSeconds = "age_seconds"
        }
        init(_ answer: MarketDataCache.Answer<Quote>) {
            let quote = answer.value
            (symbol, price, previousClose, asOf, source) = (quote.symbol, quote.price, quote.previousClose, quote.asOf, quote.source)
            (change, changePercent) = (quote.change, quote.changePercent)
            (stale, ageSeconds) = (answer.stale, Int(answer.age.components.seconds))
        }
    }

    struct Series: Encodable {
        struct Point: Encodable {
            let date: String
            let price: Double
        }
        let symbol: String
        let range: String
        let resolution: String
        let points: [Point]
        let source: String
        /// How far back the provider's history goes (it bounds the long ranges).
        let historyStart: String?
        let stale: Bool
        let ageSeconds: Int
        enum CodingKeys: String, CodingKey {
            case symbol, range, resolution, points, source, stale
            case historyStart = "history_start"
            case ageSeconds = "age_seconds"
        }
    }

    struct Intraday: Encodable {
        let symbol: String
        let points: [PricePoint]
        let source: String?
        /// Why `points` is empty, when a provider said so.
        let reason: String?
        let stale: Bool
        let ageSeconds: Int?
        enum CodingKeys: String, CodingKey {
            case symbol, points, source, reason, stale
            case ageSeconds = "age_seconds"
        }
    }

    /// The overview's fields, and whether it is stale.
    struct Overview: Encodable {
        let answer: MarketDataCache.Answer<CompanyOverview>
        enum Extra: String, CodingKey {
            case stale
            case ageSeconds = "age_seconds"
        }
        func encode(to encoder: any Encoder) throws {
            try answer.value.encode(to: encoder)
            var extra = encoder.container(keyedBy: Extra.self)
            try extra.encode(answer.stale, forKey: .stale)
            try extra.encode(Int(answer.age.components.seconds), forKey: .ageSeconds)
        }
    }

    struct News: Encodable {
        let symbol: String?
        let articles: [NewsArticle]
        let refreshedAt: Date
        let source: String?
        let reason: String?
        let stale: Bool
        let ageSeconds: Int?
    }

    struct Batch: Encodable {
        struct Failure: Encodable {
            let symbol: String
            let reason: String
        }
        let tickers: [StockQuote]
        /// Entries that are not symbols (never sent to a provider).
        let invalid: [Failure]
        /// Symbols no provider could quote.
        let unavailable: [Failure]
    }

    /// The remembered answer for `key`, or `make`'s, encoded once and remembered.
    /// A remembered answer counts as a hit of `kind`'s cache: no provider was asked for it.
    private func remembered(_ key: String, kind: MarketDataCache.Kind, _ make: () async throws -> some Encodable) async throws -> Response {
        let body: ByteBuffer
        if let hit = answers.value(for: key) {
            cache.metrics?.cacheLookup(kind: kind.rawValue, hit: true)
            body = hit
        } else {
            body = ByteBuffer(bytes: try APIJSON.encoder().encode(try await make()))
            answers.insert(body, for: key, expires: .now + localTTL, cost: body.readableBytes)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: body))
    }

    private func symbol(_ context: AppRequestContext) throws -> String {
        do { return try MarketSymbol.parse(PathParameter.string(context, "symbol")) } catch {
            throw APIError.badRequest(field: "symbol", "\(error).")
        }
    }

    private func quote(_ symbol: String) async throws(APIError) -> MarketDataCache.Answer<Quote> {
        do { return try await cache.quote(symbol) } catch { throw Self.apiError(error) }
    }

    private func timeseries(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let symbol = try symbol(context)
        let text = request.uri.queryParameters.get("range") ?? PriceRange.oneMonth.rawValue
        guard let range = PriceRange(rawValue: text.uppercased()) else {
            throw APIError.badRequest(field: "range", "range must be one of \(PriceRange.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text.prefix(20))\".")
        }
        return try await remembered("timeseries \(symbol) \(range.rawValue)", kind: .daily) {
            let daily: MarketDataCache.Answer<DailySeries>
            do throws(MarketDataChain.Exhausted) { daily = try await cache.daily(symbol) } catch { throw Self.apiError(error) }
            let points = range.points(of: daily.value).map { Series.Point(date: $0.time, price: $0.price) }
            return Series(symbol: symbol, range: range.rawValue, resolution: range.resolution, points: points, source: daily.source,
                          historyStart: daily.value.dates.first, stale: daily.stale, ageSeconds: Int(daily.age.components.seconds))
        }
    }

    private func intraday(_ context: AppRequestContext) async throws -> Response {
        let symbol = try symbol(context)
        let body: Intraday
        do throws(MarketDataChain.Exhausted) {
            let answer = try await cache.intraday(symbol)
            body = Intraday(symbol: symbol, points: answer.value, source: answer.source, reason: nil, stale: answer.stale,
                            ageSeconds: Int(answer.age.components.seconds))
        } catch {
            guard error.notOffered else { throw Self.apiError(error) }
            body = Intraday(symbol: symbol, points: [], source: nil, reason: error.description, stale: false, ageSeconds: nil)
        }
        return try JSONBody.response(body)
    }

    private func overview(_ context: AppRequestContext) async throws -> Response {
        let symbol = try symbol(context)
        let overview: MarketDataCache.Answer<CompanyOverview>
        do throws(MarketDataChain.Exhausted) { overview = try await cache.overview(symbol) } catch { throw Self.apiError(error) }
        return try JSONBody.response(Overview(answer: overview))
    }

    private func news(_ request: Request) async throws -> Response {
        let symbol: String?
        do { symbol = try request.uri.queryParameters.get("symbol").map { try MarketSymbol.parse($0) } } catch {
            throw APIError.badRequest(field: "symbol", "\(error).")
        }
        let body: News
        do throws(MarketDataChain.Exhausted) {
            let answer = try await cache.news(symbol: symbol)
            body = News(symbol: symbol, articles: Array(answer.value.prefix(Self.newsArticles)), refreshedAt: .now - Double(answer.age.components.seconds),
                        source: answer.source, reason: nil, stale: answer.stale, ageSeconds: Int(answer.age.components.seconds))
        } catch {
            // No keys (or no articles anywhere) is an empty list, not an error.
            guard error.notOffered || error.notFound else { throw Self.apiError(error) }
            body = News(symbol: symbol, articles: [], refreshedAt: .now, source: nil, reason: error.description, stale: false, ageSeconds: nil)
        }
        return try JSONBody.response(body)
    }

    private func batch(_ request: Request) async throws -> Response {
        guard let list = request.uri.queryParameters.get("symbols"), !list.isEmpty else {
            throw APIError.badRequest(field: "symbols", "symbols is required: a comma-separated list of up to \(Self.maxBatchSymbols) symbols.")
        }
        let entries = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard entries.count <= Self.maxBatchSymbols else {
            throw APIError.badRequest(field: "symbols", "At most \(Self.maxBatchSymbols) symbols per request, got \(entries.count).")
        }
        var invalid: [Batch.Failure] = [], symbols: [String] = []
        for entry in entries {
            do {
                let symbol = try MarketSymbol.parse(entry)
                if !symbols.contains(symbol) { symbols.append(symbol) }
            } catch {
                invalid.append(.init(symbol: String(entry.prefix(20)), reason: "\(error)"))
            }
        }
        let cache = self.cache
        // Quoted side by side; one entry per symbol, in the order asked.
        typealias Quoted = Result<MarketDataCache.Answer<Quote>, MarketDataChain.Exhausted>
        let answers = await withTaskGroup(of: (Int, Quoted).self) { group in
            for (index, symbol) in symbols.enumerated() {
                group.addTask { (index, await Self.quoted(symbol, from: cache)) }
            }
            return await group.reduce(into: [Int: Quoted]()) { $0[$1.0] = $1.1 }
        }
        var tickers: [StockQuote] = [], unavailable: [Batch.Failure] = []
        for (index, symbol) in symbols.enumerated() {
            switch answers[index] {
            case .success(let quote): tickers.append(StockQuote(quote))
            case .failure(let error): unavailable.append(.init(symbol: symbol, reason: error.description))
            case nil: unavailable.append(.init(symbol: symbol, reason: "not answered"))
            }
        }
        return try JSONBody.response(Batch(tickers: tickers, invalid: invalid, unavailable: unavailable))
    }

    // A function of its own, not a typed-throws do/catch inside the task's closure: in release
    // builds that closure returned every task's result under the first index (Swift 6.x).
    private static func quoted(_ symbol: String, from cache: MarketDataCache) async -> Result<MarketDataCache.Answer<Quote>, MarketDataChain.Exhausted> {
        do throws(MarketDataChain.Exhausted) { return .success(try await cache.quote(symbol)) } catch { return .failure(error) }
    }

    private static func apiError(_ error: MarketDataChain.Exhausted) -> APIError {
        if error.notFound { return .notFound("No market data: \(error.description).") }
        return .serviceUnavailable("Market data is unavailable right now (\(error.description)); try again shortly.", retryAfterSeconds: 30)
    }
}
