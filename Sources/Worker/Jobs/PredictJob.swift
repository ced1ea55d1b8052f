import Foundation
import Shared

/// Forecasts one symbol with every model, from its stored training when that is sound (run
/// forward over any newer closes; else fitted now and stored), writes the forecast document to
/// the prediction cache and returns it as the job's result. Idempotent: a rerun overwrites the
/// same keys.
struct PredictJob: JobHandler {
    let type = PredictRequest.jobType
    let marketData: any DailyHistorySource
    let cache: PredictionCache
    let models: ModelProvider
    let modelVersion: String

    func run(params: String, progress: @escaping @Sendable (Double, String) async -> Void) async throws -> String {
        let symbol: String
        do {
            symbol = try PredictRequest(params: params).symbol
        } catch {
            throw JobFailure.permanent("predict params are not valid: \(error)")
        }
        let series = try await DailyHistory.load(symbol, from: marketData, progress: progress)
        await progress(0.3, "loading \(symbol)'s trained models, or fitting and backtesting them")
        do {
            let outcome = try await models.models(for: series)
            var document = try ForecastDocument.make(series: series, modelVersion: modelVersion, trained: outcome.trained)
            document.notes = outcome.notes.isEmpty ? nil : outcome.notes
            await progress(0.9, "caching the forecast")
            let json = Array(try ForecastDocument.encoder().encode(document))
            try await cache.store(json, for: symbol)
            return String(decoding: json, as: UTF8.self)
        } catch let reason as ForecastDocument.Unavailable {
            throw JobFailure.permanent(reason.description)
        }
    }
}

/// A job's daily closes: an unknown symbol is permanent (no retry can make it known); providers
/// that failed are worth another attempt.
enum DailyHistory {
    static func load(_ symbol: String, from marketData: any DailyHistorySource,
                     progress: @escaping @Sendable (Double, String) async -> Void) async throws -> DailySeries {
        await progress(0.1, "loading prices for \(symbol)")
        do {
            return try await marketData.daily(symbol)
        } catch let error as MarketDataError {
            throw JobFailure.permanent(error.description)
        }
    }
}
