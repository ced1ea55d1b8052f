import ArgumentParser
import Foundation
import Logging
import Shared

/// `Trainer run`: one training run now, through the workers (a train job per symbol, followed
/// to the end) or in this process with `--inline`. Exits 1 when a symbol failed, listing them.
struct RunOnce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train every model for TRAIN_SYMBOLS (or --symbols) once: fit, backtest, store artifacts, warm the cache.")

    @Option(help: "Comma-separated symbols (default: TRAIN_SYMBOLS, else every symbol in MARKET_DATA_DIR).") var symbols: String?
    @Flag(help: "Train in this process instead of fanning out train jobs to the workers.") var inline = false

    func run() async throws {
        let settings = Settings.loadOrExit()
        StockHubLogging.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "stockhub.trainer")
        let clients = SystemClients(settings: settings, applicationName: "stockhub-trainer")
        defer { Task { await clients.shutdown() } }
        let marketData = ModelHistory(
            cache: MarketDataCache(chain: .configured(settings, redis: clients.redis, http: clients.http, postgres: clients.postgres),
                                   redis: clients.redis, keys: settings.redisKeys),
            files: FileMarketData(directory: settings.marketDataDirectory))
        let listed = symbols.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        var requested = listed ?? []
        if listed == nil { requested = try await settings.defaultTrainingSymbols() }
        var valid: [String] = []
        for text in requested {
            do { valid.append(try MarketSymbol.parse(text)) } catch { print("skipped: \(error)") }
        }
        guard !valid.isEmpty else { throw ValidationError("no symbol to train (--symbols, TRAIN_SYMBOLS or the CSVs in \(settings.marketDataDirectory))") }

        let queue = JobQueue(redis: clients.redis, keys: settings.redisKeys.queue,
                             settings: JobQueueSettings(maxAttempts: settings.jobMaxAttempts,
                                                        visibilityTimeout: .seconds(settings.jobVisibilityTimeoutSeconds)))
        let runs = TrainingRuns(queue: queue, keys: settings.redisKeys, modelVersion: settings.modelVersion)
        let training = SymbolTraining(marketData: marketData, store: ModelStore(storage: clients.storage, modelVersion: settings.modelVersion),
                                      cache: PredictionCache(redis: clients.redis, keys: settings.redisKeys, modelVersion: settings.modelVersion))
        let run = inline
            ? try await TrainingRunner.runInline(try await runs.startInline(symbols: valid, trigger: .manual), training: training, runs: runs, logger: logger)
            : try await TrainingRunner.follow(try await runs.start(symbols: valid, trigger: .manual), runs: runs, logger: logger)
        TrainingRunner.printSummary(run)
        if run.status != .done { throw ExitCode(1) }
    }
}

enum TrainingRunner {
    /// Trains each symbol still to do in this process, saving each outcome as it lands.
    static func runInline(_ started: TrainingRun, training: SymbolTraining, runs: TrainingRuns, logger: Logger) async throws -> TrainingRun {
        var run = started
        logger.info("training run \(run.id): \(run.symbols.count) symbols, inline")
        for index in run.symbols.indices where run.symbols[index].status != "done" {
            let symbol = run.symbols[index].symbol
            do {
                let result = try await training.train(symbol)
                run.symbols[index].status = "done"
                logger.info("trained \(symbol): \(result.models.count) models at \(result.manifest)")
            } catch {
                run.symbols[index].status = "failed"
                run.symbols[index].error = error.description
                logger.error("training \(symbol) failed: \(error)")
            }
            run.settle(now: Date())
            try await runs.save(run)
        }
        return run
    }

    /// Follows a run's train jobs until every symbol has an outcome.
    static func follow(_ started: TrainingRun, runs: TrainingRuns, logger: Logger) async throws -> TrainingRun {
        logger.info("training run \(started.id): \(started.symbols.count) train jobs queued for the workers")
        var run = started
        var reported = Set<String>()
        while run.status == .running {
            try await Task.sleep(for: .seconds(1))
            guard let latest = try await runs.refresh(run.id) else { throw ValidationError("run \(run.id) disappeared from Redis") }
            run = latest
            for symbol in run.symbols where ["done", "failed", "timeout"].contains(symbol.status) && !reported.contains(symbol.symbol) {
                reported.insert(symbol.symbol)
                logger.info("\(symbol.symbol): \(symbol.status)\(symbol.error.map { " (\($0))" } ?? "")")
            }
        }
        return run
    }

    static func printSummary(_ run: TrainingRun) {
        let done = run.symbols.filter { $0.status == "done" }.count
        print("training run \(run.id): \(run.status.rawValue), \(done) of \(run.symbols.count) symbols trained (model version \(run.modelVersion))")
        for failure in run.failures { print("  failed \(failure.symbol): \(failure.error ?? failure.status)") }
    }
}
