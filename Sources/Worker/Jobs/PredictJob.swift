import Foundation
import NIOPosix
import Shared

/// Forecasts one symbol with every model available, writes the forecast document to the
/// prediction cache (60 min) and returns it as the job's result. Idempotent: a rerun
/// overwrites the same cache key with an equal document.
struct PredictJob: JobHandler {
    let type = PredictRequest.jobType
    let marketData: FileMarketData
    let cache: PredictionCache
    let modelVersion: String

    func run(params: String, progress: @escaping @Sendable (Double, String) async -> Void) async throws -> String {
        let symbol: String
        do {
            symbol = try PredictRequest(params: params).symbol
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
        let document: ForecastDocument
        do {
            document = try await NIOThreadPool.singleton.runIfActive {
                try ForecastDocument.make(series: series, modelVersion: modelVersion)
            }
        } catch let reason as ForecastDocument.Unavailable {
            throw JobFailure.permanent(reason.description)
        }
        let json = try ForecastDocument.encoder().encode(document)
        await progress(0.9, "caching the forecast")
        try await cache.store(Array(json), for: symbol)
        return String(decoding: json, as: UTF8.self)
    }
}
