/// Where a job's daily closes come from: anything that gives a symbol's closes.
public protocol DailyHistorySource: Sendable {
    func daily(_ symbol: String) async throws -> DailySeries
}

extension FileMarketData: DailyHistorySource {}

/// The closes the models are fitted on. A vendor's history (the chain, through its cache) when
/// it is long enough to fit and backtest on; else the bundled files' (older, but years long),
/// joined with the vendor's when they overlap (`HistorySplice`); else whatever a vendor has,
/// so a symbol with no bundled file still gets the models that can take a short series, and
/// the others' reasons. With no vendor keys this is the bundled files.
public struct ModelHistory: DailyHistorySource {
    let cache: MarketDataCache
    let files: FileMarketData
    /// Vendor closes needed before they replace the bundled ones: a fit window.
    public static let enough = ForecastDocument.fitWindow

    public init(cache: MarketDataCache, files: FileMarketData) {
        self.cache = cache
        self.files = files
    }

    /// An unknown symbol (nobody has it) throws `MarketDataError.unknownSymbol`; providers that
    /// failed throw `MarketDataChain.Exhausted` (worth another attempt).
    public func daily(_ symbol: String) async throws -> DailySeries {
        var vendor: DailySeries?
        var failure: MarketDataChain.Exhausted?
        do {
            let answer = try await cache.daily(symbol)
            // The chain reached the files: no vendor had it, and their closes are the answer.
            if answer.source == files.name { return answer.value }
            vendor = answer.value
        } catch {
            failure = error
        }
        if let vendor, vendor.closes.count >= Self.enough { return vendor }
        let bundled: DailySeries
        do { bundled = try await files.daily(symbol) } catch MarketDataError.unknownSymbol {
            if let vendor { return vendor }
            if let failure, !failure.notFound { throw failure }
            throw MarketDataError.unknownSymbol(symbol)
        }
        // The vendor's recent closes carry the files' years forward when the two share a day to
        // be joined at; else the files alone (older, but long enough to fit and backtest on).
        guard let vendor else { return bundled }
        return (try? HistorySplice.join(files: bundled, vendor: vendor)) ?? bundled
    }
}
