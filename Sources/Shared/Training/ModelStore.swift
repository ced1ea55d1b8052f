import Forecasting
import Foundation
import NIOPosix

/// A symbol's trained models in the artifact store (filesystem or S3): one artifact per model at
/// `models/{model}/{MODEL_VERSION}/{SYMBOL}.bin`, then the manifest
/// `models/manifest/{MODEL_VERSION}/{SYMBOL}.json` listing them. The manifest is written last and
/// is the commit point: a reader that finds one finds every artifact it names, so it never sees
/// half a training. Keys are deterministic, so a training that runs again rewrites the same keys.
public struct ModelStore: Sendable {
    public let storage: any ArtifactStore
    public let modelVersion: String
    /// Decoded trainings by symbol, each with the SHA-256 of the manifest it came from.
    private let loaded: ExpiringCache<String, LoadedTraining>?
    /// Counts artifacts written and times the fits of the trainings stored here.
    public let metrics: StockHubMetrics?

    /// A decoded training and the manifest bytes' digest that names it.
    public struct LoadedTraining: Sendable {
        let manifestSHA256: String
        let trained: TrainedModels
    }

    /// - Parameter loaded: keeps decoded trainings in this process (Worker). A load still reads
    ///   the manifest, so a new training is seen at once; only when its bytes are unchanged are
    ///   the artifacts not fetched and decoded again (one round trip instead of six on S3).
    public init(storage: any ArtifactStore, modelVersion: String, loaded: ExpiringCache<String, LoadedTraining>? = nil,
                metrics: StockHubMetrics? = nil) {
        self.storage = storage
        self.modelVersion = modelVersion
        self.loaded = loaded
        self.metrics = metrics
    }

    /// Room for decoded trainings for an hour, bounded by their artifacts' bytes (a symbol's
    /// statistical models take ~10 KB, its learned ones ~700 KB), which keeps a Worker's memory
    /// flat however many symbols it serves. Decoded models take more memory than their bytes:
    /// 96 MiB of artifacts held took a Worker to 277 MiB, so the bound is 64 MiB (~90 symbols).
    public static func loadedCache(symbols: Int = 1000, artifactBytes: Int = 64 << 20) -> ExpiringCache<String, LoadedTraining> {
        ExpiringCache(maxEntries: symbols, maxCost: artifactBytes)
    }

    public func artifactKey(model: String, symbol: String) -> String { "models/\(model)/\(modelVersion)/\(symbol).bin" }
    public func manifestKey(symbol: String) -> String { "models/manifest/\(modelVersion)/\(symbol).json" }

    /// What a training committed for one symbol.
    public struct Manifest: Codable, Sendable, Equatable {
        public struct Entry: Codable, Sendable, Equatable {
            public let name: String
            public let key: String
            public let spec: String
            public let bytes: Int
            public let sha256: String
            /// The model's backtest on this symbol (also in the artifact's header).
            public let accuracy: ForecastDocument.Accuracy?
        }
        public let format: Int
        public let symbol: String
        public let modelVersion: String
        public let trainedAt: Date
        public let firstDate: String
        public let lastDate: String
        public let observations: Int
        public let ensembleAccuracy: ForecastDocument.Accuracy?
        public let models: [Entry]
        /// Catalog models the training could not fit, with their reasons (absent in older manifests).
        public let unavailable: [ForecastDocument.UnavailableModel]?

        enum CodingKeys: String, CodingKey {
            case format, symbol, observations, models, unavailable
            case modelVersion = "model_version"
            case trainedAt = "trained_at"
            case firstDate = "first_date"
            case lastDate = "last_date"
            case ensembleAccuracy = "ensemble_accuracy"
        }
    }

    /// Writes every member's artifact, then the manifest.
    @discardableResult
    public func save(_ trained: TrainedModels, symbol: String, now: Date = Date()) async throws -> Manifest {
        var entries: [Manifest.Entry] = []
        for member in trained.members {
            let bytes = try ModelArtifactFile.encode(member, symbol: symbol, modelVersion: modelVersion, firstDate: trained.firstDate,
                                                     lastDate: trained.lastDate, observations: trained.observations)
            let key = artifactKey(model: member.name, symbol: symbol)
            try await storage.put(key, bytes)
            metrics?.artifactWritten(kind: member.name, bytes: bytes.count)
            entries.append(.init(name: member.name, key: key, spec: member.model.spec, bytes: bytes.count, sha256: SHA256Hex.of(bytes),
                                 accuracy: member.accuracy))
        }
        let manifest = Manifest(format: ModelArtifactFile.formatVersion, symbol: symbol, modelVersion: modelVersion, trainedAt: now,
                                firstDate: trained.firstDate, lastDate: trained.lastDate, observations: trained.observations,
                                ensembleAccuracy: trained.ensembleAccuracy, models: entries,
                                unavailable: trained.unavailable.isEmpty ? nil : trained.unavailable)
        let manifestBytes = Array(try APIJSON.encoder().encode(manifest))
        try await storage.put(manifestKey(symbol: symbol), manifestBytes)
        metrics?.artifactWritten(kind: "manifest", bytes: manifestBytes.count)
        return manifest
    }

    /// Every committed training of this model version, by symbol (manifests only: no artifact is
    /// read), and the model versions present in storage.
    public func manifests() async throws -> (current: [Manifest], versions: [String]) {
        let listed = try await storage.list(prefix: "models/manifest/")
        let versions = Set(listed.compactMap { info -> String? in
            let parts = info.key.split(separator: "/")
            return parts.count == 4 ? String(parts[2]) : nil
        })
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        // Fetched side by side, as in `load`. A manifest that cannot be read is left out here;
        // the predict job reports it.
        let storage = self.storage
        let current = try await withThrowingTaskGroup(of: Manifest?.self) { group in
            for info in listed where info.key.hasPrefix("models/manifest/\(modelVersion)/") {
                group.addTask { try? decoder.decode(Manifest.self, from: Data(try await storage.get(info.key))) }
            }
            return try await group.reduce(into: [Manifest]()) { if let manifest = $1 { $0.append(manifest) } }
        }
        return (current.sorted { $0.symbol < $1.symbol }, versions.sorted())
    }

    /// The committed training of `symbol`, or nil when it has none. Storage failures throw
    /// `StorageError`; anything wrong with what is stored throws `ArtifactError`.
    /// - Parameter keeping: whether a decoded training joins the process's cache; a training's
    ///   read-back check says no (its symbol is served by whichever Worker is asked).
    public func load(symbol: String, keeping: Bool = true) async throws -> TrainedModels? {
        let key = manifestKey(symbol: symbol)
        let bytes: [UInt8]
        do { bytes = try await storage.get(key) } catch StorageError.notFound { return nil }
        let digest = SHA256Hex.of(bytes)
        if let hit = loaded?.value(for: symbol), hit.manifestSHA256 == digest { return hit.trained }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let manifest: Manifest
        do { manifest = try decoder.decode(Manifest.self, from: Data(bytes)) } catch {
            throw ArtifactError.unreadableManifest(key: key, reason: "\(error)")
        }
        guard manifest.format == ModelArtifactFile.formatVersion else {
            throw ArtifactError.unsupportedFormat(key: key, found: manifest.format, expected: ModelArtifactFile.formatVersion)
        }
        // The artifacts are independent objects: fetched side by side (on S3 each GET is a round
        // trip) and decoded side by side on the thread pool (a tree ensemble's boosters take
        // milliseconds to parse: CPU work kept off the cooperative pool).
        let storage = self.storage
        let fetched = try await withThrowingTaskGroup(of: (Int, ModelArtifactFile, Int).self) { group in
            for (index, entry) in manifest.models.enumerated() {
                group.addTask {
                    let bytes = try await storage.get(entry.key)
                    let file = try await NIOThreadPool.singleton.runIfActive { try ModelArtifactFile.decode(bytes, key: entry.key) }
                    return (index, file, bytes.count)
                }
            }
            return try await group.reduce(into: [Int: (file: ModelArtifactFile, size: Int)]()) { $0[$1.0] = ($1.1, $1.2) }
        }
        var members: [TrainedModels.Member] = []
        for (index, entry) in manifest.models.enumerated() {
            guard let file = fetched[index]?.file else { throw ArtifactError.truncated(key: entry.key, detail: "not fetched") }
            let header = file.header
            for (field, expected, found) in [("symbol", symbol, header.symbol), ("model", entry.name, header.model),
                                             ("model version", modelVersion, header.modelVersion), ("last date", manifest.lastDate, header.lastDate)]
            where expected != found {
                throw ArtifactError.mismatch(key: entry.key, field: field, expected: expected, found: found)
            }
            members.append(.init(name: header.model, model: file.model, accuracy: header.accuracy, meanMASE: header.meanMASE,
                                 trainedAt: header.trainedAt, source: .stored))
        }
        let trained = TrainedModels(members: members, ensembleAccuracy: manifest.ensembleAccuracy, observations: manifest.observations,
                                    firstDate: manifest.firstDate, lastDate: manifest.lastDate, unavailable: manifest.unavailable ?? [])
        if keeping {
            loaded?.insert(LoadedTraining(manifestSHA256: digest, trained: trained), for: symbol, expires: .now + .seconds(3600),
                           cost: fetched.values.reduce(0) { $0 + $1.size })
        }
        return trained
    }
}
