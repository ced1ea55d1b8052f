import ArgumentParser
import Foundation
import Shared

/// Issue 11's serving and storage figures, in process: the predict job's computation served from
/// stored artifacts (load, document, encoding) against today's fit-everything document, on a
/// filesystem store and on the S3 server `STORAGE_URL` names; the artifacts' sizes; one
/// artifact's S3 PUT+GET round trip. The training run across Worker processes is timed by
/// `scripts/bench-training.sh`, which runs this first.
struct TrainingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Documents served from stored models vs fitted now, artifact sizes, S3 round trips.")

    @Option(help: "Directory of daily CSVs.") var marketData = "data/market"
    @Option(help: "Comma-separated symbols.") var symbols = "MSFT,SPX,IXIC"
    @Option(help: "Fit-everything documents per symbol (today's path).") var fitRounds = 10
    @Option(help: "Documents per symbol served from the filesystem store.") var rounds = 200
    @Option(help: "Documents per symbol served from S3 (when STORAGE_URL is s3://).") var s3Rounds = 50
    @Option(help: "PUT+GET round trips of one artifact against S3.") var roundTrips = 50

    func run() async throws {
        let source = FileMarketData(directory: marketData)
        var series: [DailySeries] = []
        for symbol in symbols.split(separator: ",") { series.append(try await source.daily(String(symbol))) }

        // Trained once per symbol, the way a train job fits (timed only to show what serving saves).
        var trainings: [(series: DailySeries, trained: TrainedModels)] = []
        var fitTimes: [Double] = []
        for s in series {
            let began = ContinuousClock.now
            trainings.append((s, try await ModelProvider.fit(s)))
            fitTimes.append(seconds(began.duration(to: .now)))
        }
        let models = trainings[0].trained.members.map(\.name)
        print("== 1. predict document, \(series.count) symbols (\(series.map(\.symbol).joined(separator: ", "))), " +
              "\(models.count) models (\(models.joined(separator: ", "))) + ensemble, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        LatencyTable.header()
        LatencyTable.row("train once (fit + backtest), per symbol", fitTimes)

        // Today's path: every model fitted and backtested for each document.
        _ = try ForecastDocument.make(series: series[0], modelVersion: "bench")  // warm-up (lazy statics, page faults)
        var fitDocuments: [Double] = []
        for _ in 0..<fitRounds {
            for s in series {
                let began = ContinuousClock.now
                let document = try ForecastDocument.make(series: s, modelVersion: "bench")
                _ = try ForecastDocument.encoder().encode(document)
                fitDocuments.append(seconds(began.duration(to: .now)))
            }
        }
        LatencyTable.row("fit everything (today) + encode", fitDocuments)

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("stockhub-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fileStore = ModelStore(storage: FileStore(root: root), modelVersion: "bench")
        var manifests: [ModelStore.Manifest] = []
        for (s, trained) in trainings { manifests.append(try await fileStore.save(trained, symbol: s.symbol)) }
        try await Serving.measure(fileStore, trainings.map(\.series), rounds: rounds).print(store: "file")
        // The usual day between weekly trainings: the data has moved on by a few closes, which the
        // stored models take without a refit. Trained here on each series without its last 5 closes.
        let behindStore = ModelStore(storage: FileStore(root: root), modelVersion: "bench-behind")
        for s in series {
            let older = s.droppingLast(5)
            try await behindStore.save(try await ModelProvider.fit(older), symbol: s.symbol)
        }
        try await Serving.measure(behindStore, series, rounds: rounds).print(store: "file, 5 newer closes")
        // A Worker keeps decoded trainings while their manifest is unchanged.
        let cachedFileStore = ModelStore(storage: fileStore.storage, modelVersion: "bench", loaded: ModelStore.loadedCache())
        try await Serving.measure(cachedFileStore, series, rounds: rounds).print(store: "file, Worker's decoded cache")

        let s3 = try S3Target.fromEnvironment()
        if let s3 {
            let store = ModelStore(storage: s3.clients.storage, modelVersion: "bench-\(UUID().uuidString.prefix(8))")
            do {
                for (s, trained) in trainings { try await store.save(trained, symbol: s.symbol) }
                try await Serving.measure(store, trainings.map(\.series), rounds: s3Rounds).print(store: "S3")
                let cached = ModelStore(storage: store.storage, modelVersion: store.modelVersion, loaded: ModelStore.loadedCache())
                try await Serving.measure(cached, trainings.map(\.series), rounds: s3Rounds).print(store: "S3, Worker's decoded cache")
            } catch {
                await s3.remove(store, symbols: series.map(\.symbol), models: models)
                throw error
            }
            await s3.remove(store, symbols: series.map(\.symbol), models: models)
        } else {
            print("(S3 rows skipped: STORAGE_URL is not s3://…)")
        }

        print("\n== 2. artifact sizes, bytes (model version \"bench\"; keys models/{model}/{version}/{SYMBOL}.bin)")
        try await printSizes(manifests, store: fileStore)

        if let s3 {
            // The largest artifact: the worst case a predict job reads.
            let entry = manifests[0].models.max { $0.bytes < $1.bytes }!
            let bytes = try await fileStore.storage.get(entry.key)
            try await s3.roundTrips(of: bytes, named: "\(entry.name) (\(manifests[0].symbol))", rounds: roundTrips)
            await s3.clients.shutdown()
        }
        print("peak RSS of this process: \(peakResidentMegabytes()) MiB")
    }

    private func printSizes(_ manifests: [ModelStore.Manifest], store: ModelStore) async throws {
        let width = 12
        func cells(_ values: [String]) -> String { values.map { $0.leftPadded(to: width) }.joined() }
        print("model".padding(toLength: 24, withPad: " ", startingAt: 0) + cells(manifests.map(\.symbol)))
        for (index, entry) in manifests[0].models.enumerated() {
            let sizes = manifests.map { index < $0.models.count ? String($0.models[index].bytes) : "-" }
            print(entry.name.padding(toLength: 24, withPad: " ", startingAt: 0) + cells(sizes))
        }
        var manifestSizes: [Int] = []
        for manifest in manifests {
            manifestSizes.append(try await store.storage.head(store.manifestKey(symbol: manifest.symbol))?.size ?? 0)
        }
        print("manifest (.json)".padding(toLength: 24, withPad: " ", startingAt: 0) + cells(manifestSizes.map(String.init)))
        let totals = zip(manifests, manifestSizes).map { $0.models.map(\.bytes).reduce(0, +) + $1 }
        print("total per symbol".padding(toLength: 24, withPad: " ", startingAt: 0) + cells(totals.map(String.init)))
    }
}

/// Load, document and encoding timed apart, one document at a time, as a predict job does them.
struct Serving {
    var load: [Double] = [], document: [Double] = [], encode: [Double] = [], total: [Double] = []

    static func measure(_ store: ModelStore, _ series: [DailySeries], rounds: Int) async throws -> Serving {
        var timings = Serving()
        for round in -1..<rounds {  // round -1 warms up (connections, page cache) and is not kept
            for s in series {
                let t0 = ContinuousClock.now
                guard let trained = try await store.load(symbol: s.symbol) else {
                    throw ValidationError("no stored training of \(s.symbol) in \(store.storage.location)")
                }
                let t1 = ContinuousClock.now
                // As the predict job does: run the stored models over any newer closes first.
                let current = try trained.updated(to: s)
                let document = try ForecastDocument.make(series: s, modelVersion: store.modelVersion, trained: current)
                let t2 = ContinuousClock.now
                _ = try ForecastDocument.encoder().encode(document)
                let t3 = ContinuousClock.now
                guard round >= 0 else { continue }
                guard document.models.allSatisfy({ $0.source == .stored }) else { throw ValidationError("\(s.symbol): a model was not stored") }
                timings.load.append(seconds(t0.duration(to: t1)))
                timings.document.append(seconds(t1.duration(to: t2)))
                timings.encode.append(seconds(t2.duration(to: t3)))
                timings.total.append(seconds(t0.duration(to: t3)))
            }
        }
        return timings
    }

    func print(store: String) {
        LatencyTable.row("stored (\(store)): load", load)
        LatencyTable.row("stored (\(store)): update + document", document)
        LatencyTable.row("stored (\(store)): encode", encode)
        LatencyTable.row("stored (\(store)): load + document + encode", total)
    }
}

/// The S3 server of `STORAGE_URL` (scripts/private-services.sh starts one), through the same
/// clients the Worker builds.
struct S3Target {
    let clients: SystemClients

    static func fromEnvironment() throws -> S3Target? {
        let settings = try Settings(environment: ProcessInfo.processInfo.environment)
        guard case .s3 = settings.storage else { return nil }
        let clients = SystemClients(settings: settings, applicationName: "stockhub-bench")
        return S3Target(clients: clients)
    }

    /// Deletes what the bench wrote (its model version is its own).
    func remove(_ store: ModelStore, symbols: [String], models: [String]) async {
        for symbol in symbols {
            for model in models { try? await store.storage.delete(store.artifactKey(model: model, symbol: symbol)) }
            try? await store.storage.delete(store.manifestKey(symbol: symbol))
        }
    }

    func roundTrips(of bytes: [UInt8], named name: String, rounds: Int) async throws {
        let storage = clients.storage
        let key = "models/bench-roundtrip/\(UUID().uuidString.prefix(8))/artifact.bin"
        var puts: [Double] = [], gets: [Double] = [], both: [Double] = []
        for round in -1..<rounds {  // round -1 opens the connection and is not kept
            let t0 = ContinuousClock.now
            try await storage.put(key, bytes)
            let t1 = ContinuousClock.now
            let read = try await storage.get(key)
            let t2 = ContinuousClock.now
            guard read == bytes else { throw ValidationError("S3 returned \(read.count) bytes, not the \(bytes.count) written") }
            guard round >= 0 else { continue }
            puts.append(seconds(t0.duration(to: t1)))
            gets.append(seconds(t1.duration(to: t2)))
            both.append(seconds(t0.duration(to: t2)))
        }
        try? await storage.delete(key)
        print("\nS3 round trip of one artifact, \(name), \(bytes.count) bytes, \(storage.location)")
        LatencyTable.header()
        LatencyTable.row("PUT", puts)
        LatencyTable.row("GET", gets)
        LatencyTable.row("PUT + GET", both)
    }
}

/// Rows of count, p50, p99 and mean in milliseconds.
enum LatencyTable {
    static let labelWidth = 64

    static func header() {
        print("".padding(toLength: labelWidth, withPad: " ", startingAt: 0)
              + ["n", "p50 ms", "p99 ms", "mean ms"].map { $0.leftPadded(to: 10) }.joined())
    }

    static func row(_ label: String, _ latencies: [Double]) {
        guard !latencies.isEmpty else { return }
        let sorted = latencies.sorted()
        let figures = [percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.reduce(0, +) / Double(sorted.count)]
            .map { String(format: "%.3f", $0 * 1000).leftPadded(to: 10) }
        print(label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + String(sorted.count).leftPadded(to: 10) + figures.joined())
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
