import Foundation
import Hummingbird
import Shared

/// What is trained: per model, the symbols with a stored training of this `MODEL_VERSION`, when
/// each was trained and how it did in its backtest; the versions in storage; the last training
/// run and the next scheduled one.
struct ModelsController {
    let store: ModelStore
    let runs: TrainingRuns
    let schedule: CronSchedule

    func addRoutes(to routes: RouteTable) {
        routes.get("/api/models", access: .user) { _, _ in try await models() }
    }

    struct Catalog: Encodable {
        struct Model: Encodable {
            let name: String
            let symbols: [Trained]
        }
        struct Trained: Encodable {
            let symbol: String
            let spec: String
            let trainedAt: Date
            let lastDate: String
            let accuracy: ForecastDocument.Accuracy?
            enum CodingKeys: String, CodingKey {
                case symbol, spec, accuracy
                case trainedAt = "trained_at"
                case lastDate = "last_date"
            }
        }
        let modelVersion: String
        let versions: [String]
        let models: [Model]
        let lastRun: TrainingRun?
        let schedule: String
        let nextTrainingAt: Date?

        enum CodingKeys: String, CodingKey {
            case versions, models, schedule
            case modelVersion = "model_version"
            case lastRun = "last_run"
            case nextTrainingAt = "next_training_at"
        }
    }

    private func models() async throws -> Response {
        let stored: (current: [ModelStore.Manifest], versions: [String])
        do { stored = try await store.manifests() } catch {
            throw APIError.serviceUnavailable("Model storage cannot be read right now (\(error)); try again shortly.", retryAfterSeconds: 10)
        }
        var byModel: [String: [Catalog.Trained]] = [:]
        for manifest in stored.current {
            for entry in manifest.models {
                byModel[entry.name, default: []].append(.init(symbol: manifest.symbol, spec: entry.spec, trainedAt: manifest.trainedAt,
                                                              lastDate: manifest.lastDate, accuracy: entry.accuracy))
            }
        }
        var lastRun: TrainingRun?
        if let id = try await runs.latest(limit: 1).first { lastRun = try await runs.refresh(id) }
        let models = byModel.keys.sorted().map { Catalog.Model(name: $0, symbols: byModel[$0]!.sorted { $0.symbol < $1.symbol }) }
        return try JSONBody.response(Catalog(modelVersion: store.modelVersion, versions: stored.versions, models: models, lastRun: lastRun,
                                             schedule: schedule.expression, nextTrainingAt: schedule.next(after: Date())))
    }
}
