import Forecasting
import Foundation
import Logging
import NIOPosix

/// Where a job's trained models come from: the symbol's stored training when it is sound (run
/// forward over any observations newer than it, without refitting), otherwise a fit now, which
/// is then stored for the next request. Storage trouble never fails a forecast: it costs a fit,
/// and the reason is logged and noted.
public struct ModelProvider: Sendable {
    public let store: ModelStore
    let logger: Logger

    public init(store: ModelStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public struct Outcome: Sendable {
        public let trained: TrainedModels
        /// Why stored models were not used, for the document and the log; empty when they were
        /// (or when none existed yet).
        public let notes: [String]
    }

    /// Stored models when usable (run forward over any newer observations), else fitted (and stored).
    public func models(for series: DailySeries) async throws(ForecastDocument.Unavailable) -> Outcome {
        var notes: [String] = []
        do {
            if let stored = try await store.load(symbol: series.symbol) {
                do throws(TrainedModels.UpdateRefused) {
                    return Outcome(trained: try stored.updated(to: series), notes: [])
                } catch {
                    notes.append("\(error); refitted")
                }
            }
        } catch let error as ArtifactError {
            notes.append("stored models unusable (\(error)); refitted")
        } catch {
            notes.append("storage unavailable (\(error)); fitted on demand")
        }
        for note in notes { logger.warning("\(series.symbol): \(note)") }
        return Outcome(trained: try await train(series), notes: notes)
    }

    /// Fits every model now and stores the result (a storage failure is logged, not thrown).
    public func train(_ series: DailySeries) async throws(ForecastDocument.Unavailable) -> TrainedModels {
        let trained = try await Self.fit(series, metrics: store.metrics)
        do {
            try await store.save(trained, symbol: series.symbol)
        } catch {
            logger.warning("\(series.symbol): fitted models not stored: \(error)")
        }
        return trained
    }

    /// Fitting is seconds of pure CPU at worst: kept off the cooperative pool.
    /// - Parameter metrics: records each model's fit time.
    public static func fit(_ series: DailySeries, metrics: StockHubMetrics? = nil) async throws(ForecastDocument.Unavailable) -> TrainedModels {
        let result: Result<TrainedModels, ForecastDocument.Unavailable>
        var fitted: (@Sendable (String, Duration) -> Void)?
        if let metrics { fitted = { model, took in metrics.modelFitted(model, took: took) } }
        let timing = fitted
        do {
            result = try await NIOThreadPool.singleton.runIfActive { () -> Result<TrainedModels, ForecastDocument.Unavailable> in
                do throws(ForecastDocument.Unavailable) { return .success(try TrainedModels.fit(series: series, fitted: timing)) } catch { return .failure(error) }
            }
        } catch {
            // The pool is shut down only at process exit: fit here rather than fail the job.
            result = Result { () throws(ForecastDocument.Unavailable) in try TrainedModels.fit(series: series, fitted: timing) }
        }
        return try result.get()
    }
}
