import Foundation
import Shared

/// The `train` job: one symbol's `SymbolTraining`, its result the keys it wrote. Storage
/// failures are retried with backoff; bad data fails at once.
struct TrainJob: JobHandler {
    let type = TrainRequest.jobType
    let training: SymbolTraining

    func run(params: String, progress: @escaping @Sendable (Double, String) async -> Void) async throws -> String {
        let symbol: String
        do {
            symbol = try TrainRequest(params: params).symbol
        } catch {
            throw JobFailure.permanent("train params are not valid: \(error)")
        }
        do {
            let result = try await training.train(symbol, progress: progress)
            return String(decoding: try APIJSON.encoder().encode(result), as: UTF8.self)
        } catch SymbolTraining.Failure.permanent(let reason) {
            throw JobFailure.permanent(reason)
        } catch SymbolTraining.Failure.transient(let reason) {
            throw JobFailure.transient(reason)
        }
    }
}
