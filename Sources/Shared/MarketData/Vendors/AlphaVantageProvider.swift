import Foundation

/// Alpha Vantage (https://www.alphavantage.co/documentation/). Every call is
/// `GET /query?function=...&apikey=...`; the key can only travel in the query, so `VendorHTTP`
/// strips it from error details.
///
/// Alpha Vantage answers almost everything with HTTP 200: refusals arrive as a JSON object with
/// one of `Note`, `Information` or `Error Message` instead of the data (see `refusal`).
public struct AlphaVantageProvider: MarketDataProvider {
    public let name = "alpha_vantage"
    private let apiKey: String
    private let baseURL: String
    private let vendor: VendorHTTP

    public init(apiKey: String, baseURL: String = "https://www.alphavantage.co", http: HTTPClient) {
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.vendor = VendorHTTP(provider: "alpha_vantage", client: http, secret: apiKey)
    }

    public func quote(_ symbol: String) async throws -> Quote {
        struct Body: Decodable {
            let quote: [String: String]?
            enum CodingKeys: String, CodingKey { case quote = "Global Quote" }
        }
        let body = try vendor.decode(Body.self, from: try await query("GLOBAL_QUOTE", [("symbol", symbol)], symbol: symbol), what: "GLOBAL_QUOTE")
        // An unknown symbol is `{"Global Quote": {}}`.
        guard let fields = body.quote, let price = fields["05. price"].flatMap(Double.init), price.isFinite, price > 0,
              let day = fields["07. latest trading day"], CivilDate(iso: day) != nil
        else { throw ProviderError.noData(provider: name, symbol: symbol) }
        let previous = fields["08. previous close"].flatMap(Double.init).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        return Quote(symbol: symbol, price: price, previousClose: previous, asOf: day, source: name)
    }

    /// The last 100 sessions: `outputsize=full` is a premium feature.
    public func daily(_ symbol: String) async throws -> DailySeries {
        struct Body: Decodable {
            let series: [String: [String: String]]?
            enum CodingKeys: String, CodingKey { case series = "Time Series (Daily)" }
        }
        let body = try vendor.decode(Body.self, from: try await query("TIME_SERIES_DAILY", [("symbol", symbol), ("outputsize", "compact")], symbol: symbol),
                                     what: "TIME_SERIES_DAILY")
        let rows = (body.series ?? [:]).compactMap { date, bar in bar["4. close"].flatMap(Double.init).map { (date: date, close: $0) } }
        guard let series = VendorSeries.daily(symbol: symbol, rows) else { throw ProviderError.noData(provider: name, symbol: symbol) }
        return series
    }

    /// The latest session's part of the compact answer (its last 100 minutes).
    public func intraday(_ symbol: String) async throws -> [PricePoint] {
        struct Body: Decodable {
            let meta: [String: String]?
            let series: [String: [String: String]]?
            enum CodingKeys: String, CodingKey { case meta = "Meta Data", series = "Time Series (1min)" }
        }
        let body = try vendor.decode(Body.self, from: try await query("TIME_SERIES_INTRADAY", [("symbol", symbol), ("interval", "1min")], symbol: symbol),
                                     what: "TIME_SERIES_INTRADAY")
        // Bars are keyed by local exchange time; the zone is named in the metadata ("US/Eastern").
        let zoneName = body.meta?.first(where: { $0.key.hasSuffix("Time Zone") })?.value
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zoneName.flatMap(TimeZone.init(identifier:)) ?? VendorSeries.newYork
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let rows = (body.series ?? [:]).compactMap { key, bar -> (time: Date, price: Double)? in
            guard let time = formatter.date(from: key), let close = bar["4. close"].flatMap(Double.init) else { return nil }
            return (time: time, price: close)
        }
        let points = VendorSeries.latestSession(rows)
        guard !points.isEmpty else { throw ProviderError.noData(provider: name, symbol: symbol) }
        return points
    }

    public func overview(_ symbol: String) async throws -> CompanyOverview {
        struct Body: Decodable {
            let name: String?, description: String?, exchange: String?, currency: String?, country: String?
            let sector: String?, industry: String?, marketCapitalization: String?, officialSite: String?
            enum CodingKeys: String, CodingKey {
                case name = "Name", description = "Description", exchange = "Exchange", currency = "Currency"
                case country = "Country", sector = "Sector", industry = "Industry"
                case marketCapitalization = "MarketCapitalization", officialSite = "OfficialSite"
            }
        }
        let body = try vendor.decode(Body.self, from: try await query("OVERVIEW", [("symbol", symbol)], symbol: symbol), what: "OVERVIEW")
        // An unknown symbol is `{}`.
        guard let companyName = VendorSeries.known(body.name) else { throw ProviderError.noData(provider: name, symbol: symbol) }
        var overview = CompanyOverview(symbol: symbol, name: companyName, source: name)
        overview.description = VendorSeries.known(body.description)
        overview.exchange = VendorSeries.known(body.exchange)
        overview.currency = VendorSeries.known(body.currency)
        overview.country = VendorSeries.known(body.country)
        overview.sector = VendorSeries.known(body.sector)
        overview.industry = VendorSeries.known(body.industry)
        overview.website = VendorSeries.known(body.officialSite)
        overview.marketCapitalization = VendorSeries.known(body.marketCapitalization).flatMap(Double.init).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        return overview
    }

    public func news(symbol: String?) async throws -> [NewsArticle] {
        struct Body: Decodable { let feed: [Item]? }
        struct Item: Decodable {
            let title: String?, url: String?, summary: String?, source: String?
            let time_published: String?, banner_image: String?
        }
        let parameters = symbol.map { [("tickers", $0)] } ?? []
        let body = try vendor.decode(Body.self, from: try await query("NEWS_SENTIMENT", parameters, symbol: symbol), what: "NEWS_SENTIMENT")
        guard let feed = body.feed else { throw ProviderError.unavailable(provider: name, detail: "NEWS_SENTIMENT: no feed") }
        // `time_published` is `20240102T153000`; the documentation names no zone, read as UTC.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        let articles = feed.compactMap { item -> NewsArticle? in
            guard let title = VendorSeries.known(item.title), let url = VendorSeries.known(item.url),
                  let published = item.time_published.flatMap(formatter.date(from:)) else { return nil }
            // Alpha Vantage gives articles no id; the URL names one article for as long as it lives.
            return NewsArticle(id: SHA256Hex.of(url), title: title, source: VendorSeries.known(item.source) ?? "", url: url,
                               imageUrl: VendorSeries.known(item.banner_image), publishedAt: VendorSeries.instant(published),
                               summary: item.summary ?? "")
        }
        return VendorSeries.newestFirst(articles)
    }

    /// The body of a data answer; a refusal in its place is thrown.
    private func query(_ function: String, _ parameters: [(String, String)], symbol: String?) async throws -> [UInt8] {
        let url = VendorURL.make(baseURL, "/query", [("function", function)] + parameters + [("apikey", apiKey)])
        let body = try await vendor.get(url)
        if let refusal = refusal(in: body, symbol: symbol) { throw refusal }
        return body
    }

    /// Alpha Vantage's 200-with-a-message answers. The texts seen in the wild:
    /// - `Information`: "... our standard API rate limit is 25 requests per day. Please subscribe to
    ///   any of the premium plans ..." (daily quota), "Please consider spreading out your free API
    ///   requests more sparingly (1 request per second)" (burst), "This is a premium endpoint ..."
    /// - `Note`: "... API call frequency is 5 calls per minute and 500 calls per day ..." (older)
    /// - `Error Message`: "Invalid API call. Please retry or visit the documentation ..." (unknown
    ///   symbol), "the parameter apikey is invalid or missing ..."
    /// The quota texts mention "premium" too, so the limit is looked for first.
    private func refusal(in body: [UInt8], symbol: String?) -> ProviderError? {
        struct Notice: Decodable {
            let note: String?, information: String?, errorMessage: String?
            enum CodingKeys: String, CodingKey { case note = "Note", information = "Information", errorMessage = "Error Message" }
        }
        guard let notice = try? JSONDecoder().decode(Notice.self, from: Data(body)),
              let text = notice.errorMessage ?? notice.note ?? notice.information else { return nil }
        let detail = vendor.redacted(String(text.prefix(200)))
        let lower = text.lowercased()
        let limitWords = ["rate limit", "requests per", "request per", "calls per", "call frequency", "sparingly"]
        if limitWords.contains(where: lower.contains) { return .rateLimited(provider: name, detail: detail) }
        if lower.contains("apikey") || lower.contains("api key") || lower.contains("premium") {
            return .notAuthorized(provider: name, detail: detail)
        }
        if notice.errorMessage != nil, let symbol { return .noData(provider: name, symbol: symbol) }
        // `Note` has only ever carried throttling; an unknown `Information` is not data either.
        if notice.errorMessage == nil, notice.note != nil { return .rateLimited(provider: name, detail: detail) }
        return .unavailable(provider: name, detail: detail)
    }
}
