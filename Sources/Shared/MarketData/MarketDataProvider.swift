import Foundation

/// The last trade (or close) of a symbol, as one provider reported it.
public struct Quote: Sendable, Codable, Equatable {
    public let symbol: String
    public let price: Double
    public let previousClose: Double?
    /// When the price was set: an ISO date (a close) or an ISO 8601 instant (a trade).
    public let asOf: String
    public let source: String

    public init(symbol: String, price: Double, previousClose: Double?, asOf: String, source: String) {
        self.symbol = symbol
        self.price = price
        self.previousClose = previousClose
        self.asOf = asOf
        self.source = source
    }

    public var change: Double? { previousClose.map { price - $0 } }
    public var changePercent: Double? { previousClose.flatMap { $0 > 0 ? (price - $0) / $0 * 100 : nil } }
}

/// One point of a price series: an ISO date (daily) or an ISO 8601 instant (intraday, UTC).
public struct PricePoint: Sendable, Codable, Equatable {
    public let time: String
    public let price: Double

    public init(time: String, price: Double) {
        self.time = time
        self.price = price
    }
}

/// What a provider knows of the company (or index) behind a symbol; nil fields are unknown.
public struct CompanyOverview: Sendable, Codable, Equatable {
    public let symbol: String
    public let name: String
    public var exchange: String?
    public var currency: String?
    public var sector: String?
    public var industry: String?
    public var country: String?
    /// In `currency`, whole units.
    public var marketCapitalization: Double?
    public var description: String?
    public var website: String?
    public let source: String

    enum CodingKeys: String, CodingKey {
        case symbol, name, exchange, currency, sector, industry, country, description, website, source
        case marketCapitalization = "market_capitalization"
    }

    public init(symbol: String, name: String, source: String) {
        self.symbol = symbol
        self.name = name
        self.source = source
    }
}

/// A news article, in the shape the API serves.
public struct NewsArticle: Sendable, Codable, Equatable {
    public let id: String
    public let title: String
    /// The publisher (e.g. "Reuters"), not the provider.
    public let source: String
    public let url: String
    public let imageUrl: String?
    /// ISO 8601 instant, UTC.
    public let publishedAt: String
    public let summary: String

    public init(id: String, title: String, source: String, url: String, imageUrl: String?, publishedAt: String, summary: String) {
        self.id = id
        self.title = title
        self.source = source
        self.url = url
        self.imageUrl = imageUrl
        self.publishedAt = publishedAt
        self.summary = summary
    }
}

/// Why a provider gave nothing. Each case sends the chain on to the next provider or to a
/// stale cached value; none is a server error of ours.
public enum ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Over the vendor's limit (HTTP 429, or Alpha Vantage's 200 with a `Note`/`Information`).
    case rateLimited(provider: String, detail: String)
    /// A missing or refused key, or an endpoint the key's plan does not include (Finnhub's
    /// daily candles answer 403 on free keys).
    case notAuthorized(provider: String, detail: String)
    /// The vendor has nothing for this symbol (empty arrays, `{"s":"no_data"}`, zero quotes).
    case noData(provider: String, symbol: String)
    /// This provider does not offer that kind of data at all (the file provider has no news).
    case notOffered(provider: String, what: String)
    /// Unreachable, a 5xx, a timeout, or a body that is not the documented format.
    case unavailable(provider: String, detail: String)

    public var provider: String {
        switch self {
        case .rateLimited(let provider, _), .notAuthorized(let provider, _), .noData(let provider, _),
             .notOffered(let provider, _), .unavailable(let provider, _): provider
        }
    }

    public var description: String {
        switch self {
        case .rateLimited(let provider, let detail): "\(provider): rate limited (\(detail))"
        case .notAuthorized(let provider, let detail): "\(provider): not authorized (\(detail))"
        case .noData(let provider, let symbol): "\(provider): no data for \(symbol)"
        case .notOffered(let provider, let what): "\(provider): offers no \(what)"
        case .unavailable(let provider, let detail): "\(provider): unavailable (\(detail))"
        }
    }
}

/// A source of market data (a vendor's API, or the bundled files). Symbols arrive validated
/// (`MarketSymbol.parse`). Every failure is a `ProviderError`; the file provider's daily
/// closes may also throw `MarketDataError` for a malformed file.
public protocol MarketDataProvider: Sendable {
    /// "finnhub", "alpha_vantage", "file": the `source` of what it returns.
    var name: String { get }
    /// Daily closes, oldest first, as far back as the provider gives.
    func daily(_ symbol: String) async throws -> DailySeries
    func quote(_ symbol: String) async throws -> Quote
    /// The latest session's 1-minute points, oldest first.
    func intraday(_ symbol: String) async throws -> [PricePoint]
    func overview(_ symbol: String) async throws -> CompanyOverview
    /// The latest articles, newest first: about `symbol`, or general market news when nil.
    func news(symbol: String?) async throws -> [NewsArticle]
}
