/// The providers in the order they are asked (Finnhub, Alpha Vantage, then the bundled files):
/// the first that answers wins, and a provider's failure moves on to the next. When none
/// answers, the error says what each one said, and whether it was "nobody has this symbol".
public struct MarketDataChain: Sendable {
    public let providers: [any MarketDataProvider]
    /// Counts every provider call by provider and outcome.
    let metrics: StockHubMetrics?

    public init(providers: [any MarketDataProvider], metrics: StockHubMetrics? = nil) {
        precondition(!providers.isEmpty, "a chain needs a provider")
        self.providers = providers
        self.metrics = metrics
    }

    /// Every provider failed. `reasons` has one line per provider, in order.
    public struct Exhausted: Error, Sendable, CustomStringConvertible {
        public let what: String
        public let reasons: [String]
        /// Every provider that could have it said it has nothing for the symbol (a 404, not a 503).
        public let notFound: Bool
        /// No provider offers this kind of data at all (an empty answer with a reason, not an error).
        public let notOffered: Bool

        public var description: String { "no \(what): " + reasons.joined(separator: "; ") }
    }

    public func daily(_ symbol: String) async throws(Exhausted) -> (series: DailySeries, source: String) {
        try await first("daily closes for \(symbol)") { (try await $0.daily(symbol), $0.name) }
    }

    public func quote(_ symbol: String) async throws(Exhausted) -> Quote {
        try await first("quote for \(symbol)") { try await $0.quote(symbol) }
    }

    public func intraday(_ symbol: String) async throws(Exhausted) -> (points: [PricePoint], source: String) {
        try await first("intraday prices for \(symbol)") { (try await $0.intraday(symbol), $0.name) }
    }

    public func overview(_ symbol: String) async throws(Exhausted) -> CompanyOverview {
        try await first("overview of \(symbol)") { try await $0.overview(symbol) }
    }

    public func news(symbol: String?) async throws(Exhausted) -> (articles: [NewsArticle], source: String) {
        try await first(symbol.map { "news about \($0)" } ?? "market news") { (try await $0.news(symbol: symbol), $0.name) }
    }

    private func first<T: Sendable>(_ what: String, _ ask: (any MarketDataProvider) async throws -> T) async throws(Exhausted) -> T {
        var reasons: [String] = []
        var missing = false, failed = false
        for provider in providers {
            do {
                let answer = try await ask(provider)
                metrics?.providerCall(provider.name, .ok)
                return answer
            } catch {
                reasons.append("\(error)")
                switch error {
                case ProviderError.noData, MarketDataError.unknownSymbol:
                    missing = true
                    metrics?.providerCall(provider.name, .noData)
                case ProviderError.notOffered:
                    metrics?.providerCall(provider.name, .notOffered)
                case ProviderError.rateLimited:
                    failed = true
                    metrics?.providerCall(provider.name, .rateLimited)
                default:
                    failed = true
                    metrics?.providerCall(provider.name, .error)
                }
            }
        }
        // A provider that failed might have had it: only a chain of "nothing" answers is a 404.
        throw Exhausted(what: what, reasons: reasons, notFound: !failed && missing, notOffered: !failed && !missing)
    }
}
