import Foundation

/// What a train job reports: where the training went.
public struct TrainResult: Codable, Sendable, Equatable {
    public let symbol: String
    public let modelVersion: String
    public let trainedAt: Date
    public let manifest: String
    public let models: [ModelStore.Manifest.Entry]

    public init(symbol: String, modelVersion: String, trainedAt: Date, manifest: String, models: [ModelStore.Manifest.Entry]) {
        self.symbol = symbol
        self.modelVersion = modelVersion
        self.trainedAt = trainedAt
        self.manifest = manifest
        self.models = models
    }

    enum CodingKeys: String, CodingKey {
        case symbol, manifest, models
        case modelVersion = "model_version"
        case trainedAt = "trained_at"
    }
}
