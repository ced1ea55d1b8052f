import Foundation
import NIOPosix
import Shared

/// Forecasts one symbol with every model available, writes the forecast document to the
/// prediction cache (60 min) and returns it as the job's result. Idempotent: a rerun
/// overwrites the same cache key with an equal document.
struct PredictJob: JobHandler {
    let type = "predict"
    let marketData: FileMarketData
    let redis: RedisClient
    let namespace: String
    let modelVersion: String

    static let cacheSeconds = 3600

    struct Params: Decodable { let symbol: String }

    func run(params: String, progress: @escaping @Sendable (Double, String) async -> Void) async throws -> String {
        let symbol: String
        do {
            symbol = try MarketSymbol.parse(try JSONDecoder().decode(Params.self, from: Data(params.utf8)).symbol)
        } catch {
            throw JobFailure.permanent("predict params are not valid: \(error)")
        }
        await progress(0.1, "loading prices for \(symbol)")
        let series: DailySeries
        do {
            series = try await marketData.daily(symbol)
        } catch let error as MarketDataError {
            throw JobFailure.permanent(error.description)  // no retry can make an unknown symbol known
        }
        await progress(0.3, "fitting models and backtesting them on \(symbol)'s history")
        // Fitting is seconds of pure CPU at worst: keep it off the cooperative pool.
        let modelVersion = modelVersion
        guard let document = try await NIOThreadPool.singleton.runIfActive({
            ForecastDocument.make(series: series, modelVersion: modelVersion)
        }) else {
            guard TradingCalendar.isTradingDay(series.dates.last ?? "") != nil else {
                throw JobFailure.permanent("the history of \(symbol) ends on \"\(series.dates.last ?? "")\", not a YYYY-MM-DD date")
            }
            throw JobFailure.permanent("not enough history for \(symbol) (\(series.closes.count) closes)")
        }
        let json = try ForecastDocument.encoder().encode(document)
        await progress(0.9, "caching the forecast")
        try await redis.command("SET", RedisArgument(RedisKeys.prediction(namespace: namespace, modelVersion: modelVersion, symbol: symbol)),
                                RedisArgument(bytes: Array(json)), "EX", RedisArgument(Self.cacheSeconds))
        return String(decoding: json, as: UTF8.self)
    }
}
