import Foundation

/// Forecast documents in Redis, one per symbol and model version, as the JSON bytes the
/// predict job wrote: the worker sets them, the API serves them as they are (no re-encoding).
public struct PredictionCache: Sendable {
    /// How long a document is served before a request queues a fresh one (DESIGN: 60 min).
    public static let lifetime: Duration = .seconds(3600)

    let redis: RedisClient
    let keys: RedisKeys
    let modelVersion: String

    public init(redis: RedisClient, keys: RedisKeys, modelVersion: String) {
        self.redis = redis
        self.keys = keys
        self.modelVersion = modelVersion
    }

    public func key(for symbol: String) -> String { keys.prediction(modelVersion: modelVersion, symbol: symbol) }

    /// The cached document, or nil when there is none (or it expired).
    public func document(for symbol: String) async throws -> [UInt8]? {
        guard case .bulk(let bytes) = try await redis.command("GET", RedisArgument(key(for: symbol))) else { return nil }
        return bytes
    }

    public func store(_ document: [UInt8], for symbol: String) async throws {
        try await redis.command("SET", RedisArgument(key(for: symbol)), RedisArgument(bytes: document),
                                "EX", RedisArgument(Int(Self.lifetime.components.seconds)))
    }
}
