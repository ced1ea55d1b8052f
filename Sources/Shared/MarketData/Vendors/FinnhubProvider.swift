import Foundation

/// Finnhub's REST API (https://finnhub.io/docs/api). The key travels in the `X-Finnhub-Token`
/// header, not the query, so no URL that an error or a log prints carries it.
///
/// Finnhub's ways of saying "nothing": a quote of all zeros, `{}` for a profile, `{"s":"no_data"}`
/// for candles, an empty news array. Candles answer 403 on free keys.
public struct FinnhubProvider: MarketDataProvider {
    public let name = "finnhub"
    private let apiKey: String
    private let baseURL: String
    private let vendor: VendorHTTP

    public init(apiKey: String, baseURL: String = "https://finnhub.io/api/v1", http: HTTPClient) {
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.vendor = VendorHTTP(provider: "finnhub", client: http, secret: apiKey)
    }

    public func quote(_ symbol: String) async throws -> Quote {
        struct Body: Decodable { let c: Double?; let pc: Double?; let t: Double? }
        let body = try vendor.decode(Body.self, from: try await get("/quote", [("symbol", symbol)]), what: "quote")
        // An unknown symbol is answered with zeros, not an error.
        guard let price = body.c, price.isFinite, price > 0, let time = body.t, time > 0 else {
            throw ProviderError.noData(provider: name, symbol: symbol)
        }
        let previous = body.pc.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        return Quote(symbol: symbol, price: price, previousClose: previous,
                     asOf: VendorSeries.instant(Date(timeIntervalSince1970: time)), source: name)
    }

    public func daily(_ symbol: String) async throws -> DailySeries {
        let now = Date().timeIntervalSince1970
        let tenYears = 10 * 365.25 * 86_400
        let candles = try await candles(symbol, resolution: "D", from: now - tenYears, to: now)
        let rows = candles.map { (date: VendorSeries.utcDate(unixSeconds: $0.time), close: $0.close) }
        guard let series = VendorSeries.daily(symbol: symbol, rows) else { throw ProviderError.noData(provider: name, symbol: symbol) }
        return series
    }

    public func intraday(_ symbol: String) async throws -> [PricePoint] {
        // Five days back reaches the last session across a weekend and a holiday.
        let now = Date().timeIntervalSince1970
        let candles = try await candles(symbol, resolution: "1", from: now - 5 * 86_400, to: now)
        let points = VendorSeries.latestSession(candles.map { (time: Date(timeIntervalSince1970: $0.time), price: $0.close) })
        guard !points.isEmpty else { throw ProviderError.noData(provider: name, symbol: symbol) }
        return points
    }

    public func overview(_ symbol: String) async throws -> CompanyOverview {
        struct Body: Decodable {
            let name: String?, exchange: String?, currency: String?, country: String?
            let finnhubIndustry: String?, weburl: String?
            let marketCapitalization: Double?
        }
        let body = try vendor.decode(Body.self, from: try await get("/stock/profile2", [("symbol", symbol)]), what: "profile2")
        guard let companyName = VendorSeries.known(body.name) else { throw ProviderError.noData(provider: name, symbol: symbol) }
        var overview = CompanyOverview(symbol: symbol, name: companyName, source: name)
        overview.exchange = VendorSeries.known(body.exchange)
        overview.currency = VendorSeries.known(body.currency)
        overview.country = VendorSeries.known(body.country)
        overview.industry = VendorSeries.known(body.finnhubIndustry)
        overview.website = VendorSeries.known(body.weburl)
        // Finnhub states market capitalization in millions.
        overview.marketCapitalization = body.marketCapitalization.flatMap { $0.isFinite && $0 > 0 ? $0 * 1_000_000 : nil }
        return overview
    }

    public func news(symbol: String?) async throws -> [NewsArticle] {
        struct Item: Decodable {
            let id: Int64?, datetime: Double?
            let headline: String?, source: String?, url: String?, image: String?, summary: String?
        }
        let body: [UInt8]
        if let symbol {
            let today = Date().timeIntervalSince1970
            body = try await get("/company-news", [
                ("symbol", symbol),
                ("from", VendorSeries.utcDate(unixSeconds: today - 7 * 86_400)),
                ("to", VendorSeries.utcDate(unixSeconds: today)),
            ])
        } else {
            body = try await get("/news", [("category", "general")])
        }
        let items = try vendor.decode([Item].self, from: body, what: "news")
        let articles = items.compactMap { item -> NewsArticle? in
            guard let title = VendorSeries.known(item.headline), let url = VendorSeries.known(item.url),
                  let published = item.datetime, published > 0 else { return nil }
            let id = item.id.flatMap { $0 > 0 ? String($0) : nil } ?? SHA256Hex.of(url)
            return NewsArticle(id: id, title: title, source: VendorSeries.known(item.source) ?? "", url: url,
                               imageUrl: VendorSeries.known(item.image),
                               publishedAt: VendorSeries.instant(Date(timeIntervalSince1970: published)),
                               summary: item.summary ?? "")
        }
        return VendorSeries.newestFirst(articles)
    }

    private func candles(_ symbol: String, resolution: String, from: Double, to: Double) async throws -> [(time: Double, close: Double)] {
        struct Body: Decodable { let s: String?; let c: [Double]?; let t: [Double]? }
        let body = try vendor.decode(Body.self, from: try await get("/stock/candle", [
            ("symbol", symbol), ("resolution", resolution), ("from", String(Int(from))), ("to", String(Int(to))),
        ]), what: "candles")
        if body.s == "no_data" { throw ProviderError.noData(provider: name, symbol: symbol) }
        guard body.s == "ok", let closes = body.c, let times = body.t, closes.count == times.count else {
            throw ProviderError.unavailable(provider: name, detail: "candles: not the documented format")
        }
        return zip(times, closes).map { (time: $0, close: $1) }
    }

    private func get(_ path: String, _ query: [(String, String)]) async throws -> [UInt8] {
        let body = try await vendor.get(VendorURL.make(baseURL, path, query), headers: [HTTPHeader("X-Finnhub-Token", apiKey)])
        // A 200 carrying `{"error": ...}` would otherwise decode as an empty (no-data) answer.
        if let message = VendorHTTP.vendorMessage(body) {
            throw ProviderError.unavailable(provider: name, detail: vendor.redacted(message))
        }
        return body
    }
}
