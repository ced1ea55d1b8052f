import Foundation
import NIOPosix

/// The bundled files as a provider: daily closes, a quote from the last two closes, and the
/// names in `overview.json`. They hold no intraday prices and no news.
extension FileMarketData: MarketDataProvider {
    public func quote(_ symbol: String) async throws -> Quote {
        let series = try await closes(symbol)
        guard let last = series.closes.last, let date = series.dates.last else { throw ProviderError.noData(provider: name, symbol: symbol) }
        let previous = series.closes.count > 1 ? series.closes[series.closes.count - 2] : nil
        return Quote(symbol: symbol, price: last, previousClose: previous, asOf: date, source: name)
    }

    public func intraday(_ symbol: String) async throws -> [PricePoint] {
        throw ProviderError.notOffered(provider: name, what: "intraday prices (the bundled data holds daily closes; set FINNHUB_API_KEY or ALPHA_VANTAGE_API_KEY)")
    }

    public func news(symbol: String?) async throws -> [NewsArticle] {
        throw ProviderError.notOffered(provider: name, what: "news (set FINNHUB_API_KEY or ALPHA_VANTAGE_API_KEY)")
    }

    /// Names and facts of the bundled symbols, from `overview.json` beside the CSVs.
    public func overview(_ symbol: String) async throws -> CompanyOverview {
        struct Entry: Decodable {
            let name: String
            let exchange: String?, currency: String?, sector: String?, industry: String?, country: String?, description: String?, website: String?
        }
        let file = directory.appendingPathComponent("overview.json")
        let entries = try await NIOThreadPool.singleton.runIfActive { () -> [String: Entry] in
            guard let data = FileManager.default.contents(atPath: file.path) else { return [:] }
            do { return try JSONDecoder().decode([String: Entry].self, from: data) } catch {
                throw ProviderError.unavailable(provider: "file", detail: "\(file.lastPathComponent) is not a JSON object of symbols: \(error)")
            }
        }
        guard let entry = entries[symbol] else {
            // A symbol with closes but no entry still has a name to show: its own.
            _ = try await closes(symbol)
            return CompanyOverview(symbol: symbol, name: symbol, source: name)
        }
        var overview = CompanyOverview(symbol: symbol, name: entry.name, source: name)
        overview.exchange = entry.exchange
        overview.currency = entry.currency
        overview.sector = entry.sector
        overview.industry = entry.industry
        overview.country = entry.country
        overview.description = entry.description
        overview.website = entry.website
        return overview
    }

    /// `daily`, with a missing file as the provider error every chain understands.
    private func closes(_ symbol: String) async throws -> DailySeries {
        do { return try await daily(symbol) } catch MarketDataError.unknownSymbol { throw ProviderError.noData(provider: name, symbol: symbol) }
    }
}
