import Foundation
import Shared

/// Trains one symbol: fits every model and backtests it, writes the artifacts then the manifest
/// (the commit point), reads them back and warms the prediction cache with the document they
/// give, so the next prediction is served from storage at once. Idempotent: the keys are
/// deterministic. A storage failure is transient (retried with backoff); bad data is permanent.
struct TrainJob: JobHandler {
    let type = TrainRequest.jobType
    let marketData: FileMarketData
    let cache: PredictionCache
    let store: ModelStore
    let modelVersion: String

    func run(params: String, progress: @escaping @Sendable (Double, String) async -> Void) async throws -> String {
        let symbol: String
        do {
            symbol = try TrainRequest(params: params).symbol
        } catch {
            throw JobFailure.permanent("train params are not valid: \(error)")
        }
        let series = try await DailyHistory.load(symbol, from: marketData, progress: progress)
        await progress(0.2, "fitting every model on \(symbol) and backtesting it")
        do {
            let trained = try await ModelProvider.fit(series)
            await progress(0.8, "writing \(symbol)'s artifacts and manifest")
            let manifest: ModelStore.Manifest
            let stored: TrainedModels
            do {
                manifest = try await store.save(trained, symbol: symbol)
                guard let loaded = try await store.load(symbol: symbol) else { throw ArtifactError.unreadableManifest(key: store.manifestKey(symbol: symbol), reason: "missing after the write") }
                stored = loaded
            } catch let error as ArtifactError {
                throw JobFailure.permanent("the training of \(symbol) did not read back: \(error)")
            } catch {
                throw JobFailure.transient("storing the training of \(symbol) failed: \(error)")
            }
            await progress(0.95, "warming the prediction cache")
            let document = try ForecastDocument.make(series: series, modelVersion: modelVersion, trained: stored)
            try await cache.store(Array(try ForecastDocument.encoder().encode(document)), for: symbol)
            let result = TrainResult(symbol: symbol, modelVersion: modelVersion, trainedAt: manifest.trainedAt,
                                     manifest: store.manifestKey(symbol: symbol), models: manifest.models)
            return String(decoding: try APIJSON.encoder().encode(result), as: UTF8.self)
        } catch let reason as ForecastDocument.Unavailable {
            throw JobFailure.permanent(reason.description)
        }
    }
}
