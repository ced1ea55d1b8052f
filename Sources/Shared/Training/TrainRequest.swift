import Foundation

/// A request to train one symbol: fit every model, backtest it, store the artifacts and the
/// manifest, and warm the prediction cache. The `train` job's type, parameters and dedup key,
/// for the trainer that enqueues it and the worker that runs it.
public struct TrainRequest: Sendable, Equatable {
    public static let jobType = "train"

    public let symbol: String

    public init(symbol: String) throws(SymbolError) {
        self.symbol = try MarketSymbol.parse(symbol)
    }

    /// `{"symbol":"MSFT"}` (a parsed symbol needs no escaping).
    public var params: String { #"{"symbol":"\#(symbol)"}"# }

    public init(params: String) throws {
        struct Raw: Decodable { let symbol: String }
        try self.init(symbol: JSONDecoder().decode(Raw.self, from: Data(params.utf8)).symbol)
    }

    /// One training of a symbol in flight at a time.
    public func job(modelVersion: String) -> JobQueue.NewJob {
        JobQueue.NewJob(type: Self.jobType, params: params, dedupKey: "train:\(modelVersion):\(symbol)")
    }
}

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
