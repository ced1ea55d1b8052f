import Foundation

/// The training of one symbol, whoever runs it (a worker's train job, or `Trainer run
/// --inline`): fit every model and backtest it, write the artifacts then the manifest (the
/// commit point), read them back, and warm the prediction cache with the document they give.
/// Idempotent: the keys are deterministic.
public struct SymbolTraining: Sendable {
    public let marketData: any DailyHistorySource
    public let store: ModelStore
    public let cache: PredictionCache

    public init(marketData: any DailyHistorySource, store: ModelStore, cache: PredictionCache) {
        self.marketData = marketData
        self.store = store
        self.cache = cache
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// Unknown symbol, too little or malformed data, or a training that does not read back:
        /// trying again cannot help.
        case permanent(String)
        /// Storage or Redis trouble: worth another attempt.
        case transient(String)

        public var description: String {
            switch self {
            case .permanent(let reason), .transient(let reason): reason
            }
        }
    }

    public func train(_ symbol: String, progress: @escaping @Sendable (Double, String) async -> Void = { _, _ in })
        async throws(Failure) -> TrainResult {
        await progress(0.1, "loading prices for \(symbol)")
        let series: DailySeries
        do { series = try await marketData.daily(symbol) } catch { throw .permanent("\(error)") }
        await progress(0.2, "fitting every model on \(symbol) and backtesting it")
        let trained: TrainedModels
        do { trained = try await ModelProvider.fit(series, metrics: store.metrics) } catch { throw .permanent(error.description) }
        await progress(0.8, "writing \(symbol)'s artifacts and manifest")
        let manifest: ModelStore.Manifest
        let stored: TrainedModels
        do {
            manifest = try await store.save(trained, symbol: symbol)
            guard let loaded = try await store.load(symbol: symbol, keeping: false) else {
                throw ArtifactError.unreadableManifest(key: store.manifestKey(symbol: symbol), reason: "missing right after it was written")
            }
            stored = loaded
        } catch let error as ArtifactError {
            throw .permanent("the training of \(symbol) did not read back: \(error)")
        } catch {
            throw .transient("storing the training of \(symbol) failed: \(error)")
        }
        await progress(0.95, "warming the prediction cache")
        do {
            let document = try ForecastDocument.make(series: series, modelVersion: store.modelVersion, trained: stored)
            try await cache.store(Array(try ForecastDocument.encoder().encode(document)), for: symbol)
        } catch let reason as ForecastDocument.Unavailable {
            throw .permanent(reason.description)
        } catch {
            throw .transient("warming the cache for \(symbol) failed: \(error)")
        }
        return TrainResult(symbol: symbol, modelVersion: store.modelVersion, trainedAt: manifest.trainedAt,
                           manifest: store.manifestKey(symbol: symbol), models: manifest.models)
    }
}
