import Foundation
import Shared

/// Forecasts a series a user uploaded: every model fitted now and backtested, the document
/// returned as the job's result. Nothing is stored: a user's data is neither a symbol's
/// trained models nor its cached prediction. Idempotent: a rerun computes the same thing.
struct ForecastJob: JobHandler {
    let type = UploadedSeries.jobType
    let modelVersion: String

    func run(params: String, progress: @escaping @Sendable (Double, String) async -> Void) async throws -> String {
        await progress(0.1, "checking the uploaded series")
        let upload: UploadedSeries
        do {
            upload = try UploadedSeries(params: params)
        } catch {
            throw JobFailure.permanent("forecast params are not valid: \(error)")
        }
        await progress(0.3, "fitting and backtesting every model on \(upload.closes.count) closes of \(upload.label)")
        do {
            let series = upload.series
            var document = try ForecastDocument.make(series: series, modelVersion: modelVersion, trained: try await ModelProvider.fit(series))
            document.source = .upload
            await progress(0.9, "writing the forecast")
            return String(decoding: try ForecastDocument.encoder().encode(document), as: UTF8.self)
        } catch let reason as ForecastDocument.Unavailable {
            throw JobFailure.permanent(reason.description)
        }
    }
}
