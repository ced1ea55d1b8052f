import Foundation

/// A fitted model as stored (S3 artifacts, ensembles): its Swift type, that type's state
/// version and its JSON state. Decoding refuses unknown types and other state versions rather
/// than guessing.
public struct ModelArtifact: Codable, Sendable, Equatable {
    public let type: String
    public let stateVersion: Int
    public let state: Data

    public init(_ model: any FittedModel) throws {
        type = String(describing: Swift.type(of: model))
        stateVersion = Swift.type(of: model).stateVersion
        // Slashes unescaped: a booster's base64 is full of them, and each `\/` sends
        // Foundation's decoder down its character-by-character path (most of a load's time).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        state = try encoder.encode(model)
    }

    /// An artifact from its parts, as a file format that keeps them apart stores them.
    public init(type: String, stateVersion: Int, state: Data) {
        self.type = type
        self.stateVersion = stateVersion
        self.state = state
    }

    public func decode() throws -> any FittedModel {
        guard let decoder = Self.decoders[type] else {
            throw ForecastError.invalidInput("unknown model artifact type \(type)")
        }
        return try decoder(self)
    }

    /// Every fitted type an artifact may hold.
    private static let decoders: [String: @Sendable (ModelArtifact) throws -> any FittedModel] = {
        var table: [String: @Sendable (ModelArtifact) throws -> any FittedModel] = [:]
        func register<T: FittedModel>(_: T.Type) {
            table[String(describing: T.self)] = { artifact in
                guard artifact.stateVersion == T.stateVersion else {
                    throw ForecastError.unsupportedArtifact(model: artifact.type, version: artifact.stateVersion, expected: T.stateVersion)
                }
                return try JSONDecoder().decode(T.self, from: artifact.state)
            }
        }
        register(FittedNaive.self)
        register(FittedSeasonalNaive.self)
        register(FittedDrift.self)
        register(FittedEnsemble.self)
        for type in ModelCatalog.storableTypes { register(type) }
        return table
    }()
}
