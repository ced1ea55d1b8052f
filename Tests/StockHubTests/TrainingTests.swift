import Forecasting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// Trained models as artifacts on the signature-checking S3 server: written with their manifest,
/// read back into the same forecasts, refused with a typed error when damaged, and never the
/// reason a forecast fails.
@Suite("Training: artifacts, manifests, serving from stored models")
struct TrainingTests {
    /// Every model a training fits on a price series (the ensemble is built from them).
    static let memberNames: Set<String> = ["naive", "drift", "arima", "ets", "prophet", "xgboost", "random_forest", "lstm"]
    let modelVersion = uniqueName("t")

    func series(_ symbol: String = "MSFT") async throws -> DailySeries {
        try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily(symbol)
    }

    func s3Store() throws -> ModelStore {
        ModelStore(storage: S3Store(settings: try TestServices.s3Settings(prefix: uniqueName("training")), http: HTTPClient()),
                   modelVersion: modelVersion)
    }

    @Test func aTrainingIsStoredSignedAndServesTheSameForecastsAsAFit() async throws {
        let store = try s3Store()
        let series = try await series()
        let fitted = try await ModelProvider.fit(series)
        let manifest = try await store.save(fitted, symbol: "MSFT")

        // Every model has its artifact under the documented key, then the manifest.
        let names = fitted.members.map(\.name)
        #expect(Set(names) == TrainingTests.memberNames, "\(names)")
        #expect(manifest.models.map(\.key) == names.map { "models/\($0)/\(modelVersion)/MSFT.bin" })
        for entry in manifest.models { #expect(try await store.storage.head(entry.key)?.size == entry.bytes) }
        #expect(try await store.storage.head("models/manifest/\(modelVersion)/MSFT.json") != nil)

        // Read back: the same models, marked stored, forecasting exactly what the fit does.
        let loaded = try #require(try await store.load(symbol: "MSFT"))
        #expect(loaded.members.allSatisfy { $0.source == .stored })
        #expect(loaded.lastDate == series.dates.last && loaded.firstDate == fitted.firstDate && loaded.observations == fitted.observations)
        let now = Date()
        let fromFit = try ForecastDocument.make(series: series, modelVersion: modelVersion, trained: fitted, now: now)
        let fromStore = try ForecastDocument.make(series: series, modelVersion: modelVersion, trained: loaded, now: now)
        #expect(fromStore.models.map(\.name) == fromFit.models.map(\.name))
        for (stored, fit) in zip(fromStore.models, fromFit.models) {
            #expect(stored.forecasts == fit.forecasts, "\(stored.name)")
            #expect(stored.accuracy == fit.accuracy && stored.spec == fit.spec, "\(stored.name)")
            #expect(stored.source == .stored && fit.source == .fit)
        }

        // The same write with a wrong secret is refused by the server.
        let wrong = try TestServices.s3Settings(secret: "not-the-secret", prefix: uniqueName("training"))
        let refused = ModelStore(storage: S3Store(settings: wrong, http: HTTPClient()), modelVersion: modelVersion)
        await #expect {
            try await refused.save(fitted, symbol: "MSFT")
        } throws: { error in
            if case StorageError.accessDenied = error { return true }
            return false
        }
    }

    @Test func damagedArtifactsAreTypedErrorsAndTheProviderRefitsAndRewritesThem() async throws {
        let store = try s3Store()
        let series = try await series()
        let provider = ModelProvider(store: store, logger: Logger(label: "test"))
        // Nothing stored yet: fitted, stored, no note.
        let first = try await provider.models(for: series)
        #expect(first.notes.isEmpty && first.trained.members.allSatisfy { $0.source == .fit })
        #expect(try await provider.models(for: series).trained.members.allSatisfy { $0.source == .stored })

        let key = store.artifactKey(model: "arima", symbol: "MSFT")
        let good = try await store.storage.get(key)
        let header = good.firstIndex(of: UInt8(ascii: "\n"), after: ModelArtifactFile.magic.count)!
        var flipped = good
        flipped[flipped.count - 10] ^= 0x01
        let damages: [(String, [UInt8], (ArtifactError) -> Bool)] = [
            ("corrupted", flipped, { if case .checksumMismatch = $0 { true } else { false } }),
            ("truncated", Array(good.prefix(good.count - 100)), { if case .truncated = $0 { true } else { false } }),
            ("foreign", Array("{\"not\":\"ours\"}".utf8), { if case .foreign = $0 { true } else { false } }),
            ("other format", ModelArtifactFile.magic + Array(#"{"format":99}"#.utf8) + good[header...],
             { if case .unsupportedFormat(_, 99, ModelArtifactFile.formatVersion) = $0 { true } else { false } }),
        ]
        for (damage, bytes, expected) in damages {
            try await store.storage.put(key, bytes)
            await #expect("\(damage)") {
                _ = try await store.load(symbol: "MSFT")
            } throws: { error in
                guard let error = error as? ArtifactError else { return false }
                return expected(error)
            }
            // A prediction still comes: fitted, with the reason, and the damage is repaired.
            let outcome = try await provider.models(for: series)
            #expect(outcome.trained.members.allSatisfy { $0.source == .fit }, "\(damage)")
            #expect(outcome.notes.count == 1 && outcome.notes[0].contains("stored models unusable") && outcome.notes[0].contains(key),
                    "\(damage): \(outcome.notes)")
            #expect(try await store.load(symbol: "MSFT")?.members.count == TrainingTests.memberNames.count, "\(damage): not rewritten")
        }
    }

    @Test func newerDataIsTakenByTheStoredModelsWithoutARefit() async throws {
        let series = try await series()
        let store = try s3Store()
        let provider = ModelProvider(store: store, logger: Logger(label: "test"))

        // Trained a week ago: served stored, run forward over the five newer closes.
        let older = series.droppingLast(5)
        let trained = try await ModelProvider.fit(older)
        try await store.save(trained, symbol: "MSFT")
        let outcome = try await provider.models(for: series)
        #expect(outcome.notes.isEmpty, "\(outcome.notes)")
        #expect(outcome.trained.members.allSatisfy { $0.source == .stored } && outcome.trained.lastDate == series.dates.last)
        #expect(outcome.trained.newerObservations == 5 && outcome.trained.observations == trained.observations + 5)
        // Nothing was rewritten: the stored training still ends where it was trained.
        #expect(try await store.load(symbol: "MSFT")?.lastDate == older.dates.last)
        let document = try ForecastDocument.make(series: series, modelVersion: modelVersion, trained: outcome.trained)
        #expect(document.asOf == series.dates.last && document.models.allSatisfy { $0.source == .stored && $0.newerObservations == 5 })
        // Each model forecasts from the newer data: the naive forecast is today's close, not last week's.
        let naive = try #require(document.models.first { $0.name == "naive" })
        #expect(naive.forecasts[0].value == series.closes.last)
        // The stored ARIMA run forward matches its coefficients refiltered over today's window.
        let arima = try #require(outcome.trained.members.first { $0.name == "arima" }?.model as? FittedOnLogScale<FittedARIMA>)
        let storedARIMA = try #require(trained.members.first { $0.name == "arima" }?.model as? FittedOnLogScale<FittedARIMA>)
        var fixed = ARIMA(order: storedARIMA.base.order, seasonal: storedARIMA.base.seasonalOrder, includeConstant: storedARIMA.base.hasConstant)
        fixed.estimation = .fixed(storedARIMA.base.parameters)
        let window = Array(series.closes.suffix(ForecastDocument.fitWindow + 5)).map { log($0) }
        let refiltered = try fixed.fit(window).forecast(horizon: 5, levels: [0.8]).mean
        for (a, b) in zip(arima.base.forecast(horizon: 5, levels: [0.8]).mean, refiltered) { #expect(abs(a - b) < 1e-7, "\(a) vs \(b)") }

        // Trained on data the series no longer reaches (a revision), or too long ago: refitted, and said.
        for (stored, reason) in [(series, "does not contain"), (series.droppingLast(TrainedModels.maximumNewerObservations + 1), "observations ago")] {
            try await store.save(try await ModelProvider.fit(stored), symbol: "MSFT")
            let asked = stored.dates.count == series.dates.count ? series.droppingLast(3) : series
            let refit = try await provider.models(for: asked)
            #expect(refit.trained.members.allSatisfy { $0.source == .fit } && refit.trained.lastDate == asked.dates.last, "\(reason)")
            #expect(refit.notes.count == 1 && refit.notes[0].contains(reason) && refit.notes[0].hasSuffix("refitted"), "\(refit.notes)")
            #expect(try await store.load(symbol: "MSFT")?.lastDate == asked.dates.last, "\(reason): the refit is stored")
        }
    }

    @Test func aWorkersDecodedTrainingIsKeptUntilItsManifestChanges() async throws {
        let series = try await series()
        let storage = S3Store(settings: try TestServices.s3Settings(prefix: uniqueName("loaded")), http: HTTPClient())
        let cached = ModelStore(storage: storage, modelVersion: modelVersion, loaded: ModelStore.loadedCache())
        let uncached = ModelStore(storage: storage, modelVersion: modelVersion)
        let first = try await ModelProvider.fit(series)
        try await cached.save(first, symbol: "MSFT", now: Date(timeIntervalSince1970: 1_000_000))
        _ = try #require(try await cached.load(symbol: "MSFT"))

        // The manifest is unchanged, so the artifacts are not read again: a deleted one goes unnoticed
        // by the caching store, while a store without the cache reads and misses it.
        try await storage.delete(cached.artifactKey(model: "arima", symbol: "MSFT"))
        #expect(try await cached.load(symbol: "MSFT")?.members.count == TrainingTests.memberNames.count)
        await #expect(throws: StorageError.self) { _ = try await uncached.load(symbol: "MSFT") }

        // A new training rewrites the manifest: the next load reads it and its artifacts at once.
        let older = series.droppingLast(2)
        try await cached.save(try await ModelProvider.fit(older), symbol: "MSFT", now: Date(timeIntervalSince1970: 2_000_000))
        let reloaded = try #require(try await cached.load(symbol: "MSFT"))
        #expect(reloaded.lastDate == older.dates.last && older.dates.last != series.dates.last && reloaded.members.count == TrainingTests.memberNames.count)
        // And a vanished training is seen too: no manifest, no models.
        try await storage.delete(cached.manifestKey(symbol: "MSFT"))
        #expect(try await cached.load(symbol: "MSFT") == nil)
    }

    /// A training's read-back check does not fill the Worker's cache: the Worker that trained a
    /// symbol is not the one likely to serve it, and held models are memory.
    @Test func aLoadThatIsNotKeptLeavesNothingHeld() async throws {
        let series = try await series()
        let storage = S3Store(settings: try TestServices.s3Settings(prefix: uniqueName("unkept")), http: HTTPClient())
        let cached = ModelStore(storage: storage, modelVersion: modelVersion, loaded: ModelStore.loadedCache())
        try await cached.save(try await ModelProvider.fit(series), symbol: "MSFT")
        #expect(try await cached.load(symbol: "MSFT", keeping: false)?.members.count == TrainingTests.memberNames.count)
        try await storage.delete(cached.artifactKey(model: "arima", symbol: "MSFT"))
        await #expect(throws: StorageError.self) { _ = try await cached.load(symbol: "MSFT") }
    }

    @Test func unreachableStorageLeadsToAFitOnDemand() async throws {
        let series = try await series()
        // Storage down: the forecast is fitted all the same, and the document says why.
        var settings = try TestServices.s3Settings(prefix: "x")
        settings.endpoint = "http://127.0.0.1:\(try freePort())"
        let down = ModelProvider(store: ModelStore(storage: S3Store(settings: settings, http: HTTPClient(settings: HTTPClientSettings(retry: .none))),
                                                   modelVersion: modelVersion), logger: Logger(label: "test"))
        let fitted = try await down.models(for: series)
        #expect(fitted.trained.members.count == TrainingTests.memberNames.count && fitted.notes.first?.contains("storage unavailable") == true, "\(fitted.notes)")
    }
}

/// The train and predict jobs in a real Worker process, against the S3 server the tests start.
@Suite("Training: train and predict jobs in a Worker")
struct TrainJobTests {
    @Test func aTrainJobStoresEverythingWarmsTheCacheAndPredictionsComeFromStorage() async throws {
        let namespace = uniqueName("test-train"), modelVersion = uniqueName("t")
        let redis = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 4))
        let keys = RedisKeys(namespace: namespace)
        let queue = JobQueue(redis: redis, keys: keys.queue)
        try await queue.prepare()
        var environment = TestServices.environment()
        environment.merge(["REDIS_NAMESPACE": namespace, "MODEL_VERSION": modelVersion, "LOG_LEVEL": "notice",
                           "MARKET_DATA_DIR": PredictionsTests.marketDataDirectory]) { $1 }
        let worker = try ChildProcess(try BuiltProducts.path("Worker"), environment: environment)

        // Train: done, with every artifact and the manifest listed, and the cache warm.
        let train = try TrainRequest(symbol: "msft").job(modelVersion: modelVersion)
        let trained = try await queue.enqueue(type: train.type, params: train.params, dedupKey: train.dedupKey)
        let trainRecord = try await waitForValue("the train job to end: \(worker.output.suffix(2000))") { () -> JobRecord? in
            let record = try await queue.record(trained.id)
            return record?.status.isFinished == true ? record : nil
        }
        #expect(trainRecord.status == .done, "\(trainRecord)")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let result = try decoder.decode(TrainResult.self, from: Data((trainRecord.result ?? "").utf8))
        #expect(result.manifest == "models/manifest/\(modelVersion)/MSFT.json")
        #expect(Set(result.models.map(\.name)) == TrainingTests.memberNames)
        let storage = S3Store(settings: try TestServices.s3Settings(prefix: ""), http: HTTPClient())
        for entry in result.models { #expect(try await storage.head(entry.key)?.size == entry.bytes, "\(entry.key)") }
        let cache = PredictionCache(redis: redis, keys: keys, modelVersion: modelVersion)
        let warmed = try decoder.decode(ForecastDocument.self, from: Data(try #require(try await cache.document(for: "MSFT"))))
        #expect(warmed.models.count == TrainingTests.memberNames.count + 1 && warmed.models.allSatisfy { $0.source == .stored }, "\(warmed.models.map(\.source))")

        // Predict with the cache gone: served from the stored models, no refit.
        _ = try await redis.command("DEL", RedisArgument(cache.key(for: "MSFT")))
        let predict = try PredictRequest(symbol: "MSFT").job(modelVersion: modelVersion)
        let predicted = try await queue.enqueue(type: predict.type, params: predict.params, dedupKey: predict.dedupKey)
        let record = try await waitForValue("the predict job to end") { () -> JobRecord? in
            let record = try await queue.record(predicted.id)
            return record?.status.isFinished == true ? record : nil
        }
        let document = try decoder.decode(ForecastDocument.self, from: Data((record.result ?? "").utf8))
        #expect(document.models.allSatisfy { $0.source == .stored } && document.notes == nil, "\(document.models.map(\.source)) \(document.notes ?? [])")
        #expect(document.models.map(\.forecasts) == warmed.models.map(\.forecasts))
        #expect(document.models.first?.trainedAt == result.trainedAt || document.models.allSatisfy { $0.trainedAt <= result.trainedAt })

        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(limit: Patience.generous) == 0, "\(worker.output)")
        await redis.shutdown()
    }
}

private extension Array where Element == UInt8 {
    func firstIndex(of byte: UInt8, after offset: Int) -> Int? { self[offset...].firstIndex(of: byte) }
}

/// Training runs: started by an admin or `Trainer run`, fanned out to a real Worker or inline.
@Suite("Training runs: admin route and Trainer run")
struct TrainingRunTests {
    let namespace = uniqueName("test-runs"), modelVersion = uniqueName("t")

    var environment: [String: String] {
        TestServices.environment().merging(["REDIS_NAMESPACE": namespace, "MODEL_VERSION": modelVersion, "LOG_LEVEL": "notice",
                                            "MARKET_DATA_DIR": PredictionsTests.marketDataDirectory, "ADMIN_API_KEY": "admin-key-0123456789"]) { $1 }
    }

    @Test func anAdminRunTrainsTheGoodSymbolsAndReportsTheRest() async throws {
        let contract = try OpenAPIContract.load()
        let worker = try ChildProcess(try BuiltProducts.path("Worker"), environment: environment)
        let dependencies = try await WebAPIRouteTests.liveDependencies(["REDIS_NAMESPACE": namespace, "MODEL_VERSION": modelVersion,
                                                                        "MARKET_DATA_DIR": PredictionsTests.marketDataDirectory,
                                                                        "ADMIN_API_KEY": "admin-key-0123456789"])
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let admin: HTTPFields = [.adminKey: "admin-key-0123456789"]
            #expect(try await client.execute(uri: "/api/admin/train", method: .post).status == .unauthorized)
            let started = try await client.execute(uri: "/api/admin/train?symbols=msft,bad$,ZZZZ", method: .post, headers: admin)
            #expect(started.status == .accepted)
            WebAPIRouteTests.checkContract(contract, "POST", "/api/admin/train", started)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: started.body)) as? [String: Any] ?? [:]
            #expect(body["symbols"] as? [String] == ["MSFT", "ZZZZ"])
            #expect((body["invalid"] as? [[String: Any]])?.first?["symbol"] as? String == "bad$")
            let location = try #require(started.headers[.location])
            #expect(location == "/api/admin/train/\(body["run_id"] as? String ?? "")")

            // Followed to the end: MSFT trained, ZZZZ (no data) failed with the reason.
            let finished = try await waitForValue("the run to finish: \(worker.output.suffix(2000))", every: .milliseconds(250)) { () -> TestResponse? in
                let answer = try await client.execute(uri: location, method: .get, headers: admin)
                return String(buffer: answer.body).contains(#""status":"running""#) ? nil : answer
            }
            WebAPIRouteTests.checkContract(contract, "GET", "/api/admin/train/{run}", finished)
            let run = try JSONSerialization.jsonObject(with: Data(buffer: finished.body)) as? [String: Any] ?? [:]
            #expect(run["status"] as? String == "failed" && run["finished_at"] != nil, "\(run)")
            let outcomes = (run["symbols"] as? [[String: Any]] ?? []).map { ($0["symbol"] as? String ?? "", $0["status"] as? String ?? "", $0["error"] as? String) }
            #expect(outcomes.map(\.0) == ["MSFT", "ZZZZ"] && outcomes.map(\.1) == ["done", "failed"], "\(outcomes)")
            #expect(outcomes[1].2?.contains("unknown symbol ZZZZ") == true, "\(outcomes)")
            #expect(finished.headers[.retryAfter] == nil)
            let unknown = try await client.execute(uri: "/api/admin/train/\(UUID().uuidString)", method: .get, headers: admin)
            #expect(unknown.status == .notFound)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/admin/train/{run}", unknown)
        }
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(limit: Patience.generous) == 0, "\(worker.output)")
    }

    @Test func trainerRunInlineOrThroughWorkersExitsNonZeroListingFailures() async throws {
        let trainer = try BuiltProducts.path("Trainer")
        // Inline: one good and one unknown symbol, exit 1 with the failure listed; the good one is stored.
        let (failed, output) = try await ChildProcess.run(trainer, ["run", "--inline", "--symbols", "SPX,ZZZZ"], environment: environment,
                                                         limit: .seconds(600))
        #expect(failed == 1 && output.contains("1 of 2 symbols trained") && output.contains("failed ZZZZ: unknown symbol ZZZZ"), "\(output)")
        let store = ModelStore(storage: S3Store(settings: try TestServices.s3Settings(prefix: ""), http: HTTPClient()), modelVersion: modelVersion)
        #expect(try await store.load(symbol: "SPX")?.members.count == TrainingTests.memberNames.count)

        // Through a worker: every symbol trained, exit 0.
        let worker = try ChildProcess(try BuiltProducts.path("Worker"), environment: environment)
        let (status, text) = try await ChildProcess.run(trainer, ["run", "--symbols", "IXIC"], environment: environment, limit: .seconds(600))
        #expect(status == 0 && text.contains("done, 1 of 1 symbols trained"), "\(text)\n\(worker.output.suffix(2000))")
        #expect(try await store.load(symbol: "IXIC")?.lastDate != nil)
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(limit: Patience.generous) == 0, "\(worker.output)")
    }
}

@Suite("GET /api/models")
struct ModelsRouteTests {
    @Test func trainedSymbolsAppearWithTheirBacktestAndTheLastRunAndNextSlot() async throws {
        let modelVersion = uniqueName("t")
        let dependencies = try await WebAPIRouteTests.liveDependencies(["MODEL_VERSION": modelVersion, "REDIS_NAMESPACE": uniqueName("test-models"),
                                                                        "JWT_SECRET": AuthTests.secret])
        let store = ModelStore(storage: dependencies.clients.storage, modelVersion: modelVersion)
        let series = try await FileMarketData(directory: PredictionsTests.marketDataDirectory).daily("SPX")
        try await store.save(try await ModelProvider.fit(series), symbol: "SPX")
        let contract = try OpenAPIContract.load()
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            #expect(try await client.execute(uri: "/api/models", method: .get).status == .unauthorized)
            let token = try await dependencies.tokens.issue(for: UUID()).token
            let answer = try await client.execute(uri: "/api/models", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(answer.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/models", answer)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any] ?? [:]
            #expect(body["model_version"] as? String == modelVersion && (body["versions"] as? [String])?.contains(modelVersion) == true)
            let models = body["models"] as? [[String: Any]] ?? []
            #expect(models.compactMap { $0["name"] as? String } == TrainingTests.memberNames.sorted(), "\(models)")
            for model in models {
                let symbols = model["symbols"] as? [[String: Any]] ?? []
                #expect(symbols.compactMap { $0["symbol"] as? String } == ["SPX"])
                #expect(symbols.first?["last_date"] as? String == series.dates.last && symbols.first?["accuracy"] != nil, "\(symbols)")
            }
            #expect(body["schedule"] as? String == "0 3 * * 6" && body["next_training_at"] != nil)
        }
    }
}

@Suite("Training routes with Redis down")
struct TrainingRoutesRedisDownTests {
    /// The admin key needs no Redis, so these reach the handlers: Redis unreachable there is a
    /// 503 with Retry-After (the boundary's mapping of RedisError), never a 500.
    @Test func trainingRoutesAnswer503WhenRedisIsUnreachable() async throws {
        let contract = try OpenAPIContract.load()
        let dependencies = try await WebAPIRouteTests.liveDependencies(["REDIS_URL": "redis://127.0.0.1:\(try freePort())/0",
                                                                        "ADMIN_API_KEY": "admin-key-0123456789"])
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let admin: HTTPFields = [.adminKey: "admin-key-0123456789"]
            let run = try await client.execute(uri: "/api/admin/train/\(UUID().uuidString)", method: .get, headers: admin)
            #expect(run.status == .serviceUnavailable && run.headers[.retryAfter] != nil)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/admin/train/{run}", run)
            let start = try await client.execute(uri: "/api/admin/train?symbols=MSFT", method: .post, headers: admin)
            #expect(start.status == .serviceUnavailable && start.headers[.retryAfter] != nil)
            WebAPIRouteTests.checkContract(contract, "POST", "/api/admin/train", start)
        }
    }
}
