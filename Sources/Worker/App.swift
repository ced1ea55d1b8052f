import ArgumentParser
import Foundation
import Logging
import Shared

/// Takes jobs from the Redis queue and runs them. Configured by the environment alone.
@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "Worker", abstract: "StockHub's job worker.")

    @Option(help: "Runners, each running a batch of jobs at once (overrides WORKER_CONCURRENCY).") var concurrency: Int?

    func run() async throws {
        var settings = Settings.loadOrExit()
        if let concurrency { settings.workerConcurrency = concurrency }
        StockHubLogging.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "stockhub.worker")
        let clients = SystemClients(settings: settings, applicationName: "stockhub-worker")
        let metrics = StockHubMetrics()

        let queue = JobQueue(
            redis: clients.redis, keys: settings.redisKeys.queue,
            settings: JobQueueSettings(maxAttempts: settings.jobMaxAttempts,
                                       visibilityTimeout: .seconds(settings.jobVisibilityTimeoutSeconds)),
            metrics: metrics)
        // Vendors (with keys) when they hold enough history, else the bundled files.
        let marketData = ModelHistory(
            cache: MarketDataCache(chain: .configured(settings, redis: clients.redis, http: clients.http, postgres: clients.postgres, metrics: metrics),
                                   redis: clients.redis, keys: settings.redisKeys, metrics: metrics),
            files: FileMarketData(directory: settings.marketDataDirectory))
        let cache = PredictionCache(redis: clients.redis, keys: settings.redisKeys, modelVersion: settings.modelVersion)
        let store = ModelStore(storage: clients.storage, modelVersion: settings.modelVersion, loaded: ModelStore.loadedCache(), metrics: metrics)
        let handlers: [any JobHandler] = [
            PingJob(),
            PredictJob(marketData: marketData, cache: cache, models: ModelProvider(store: store, logger: logger), modelVersion: settings.modelVersion),
            TrainJob(training: SymbolTraining(marketData: marketData, store: store, cache: cache)),
            ForecastJob(modelVersion: settings.modelVersion),
        ]
        var worker = WorkerService(
            queue: queue,
            handlers: Dictionary(uniqueKeysWithValues: handlers.map { ($0.type, $0) }),
            consumer: "\(ProcessInfo.processInfo.hostName)-\(getpid())",
            concurrency: settings.workerConcurrency,
            batchSize: settings.workerBatchSize,
            jobTimeout: .seconds(settings.jobTimeoutSeconds),
            // The design's 25 s budget for SIGTERM: up to 20 s for running jobs, the rest to release them and exit.
            shutdownGrace: .seconds(settings.workerShutdownGraceSeconds),
            alerts: settings.alertWebhookURL.map { AlertWebhook(url: $0, http: clients.http) },
            logger: logger)
        worker.metrics = metrics
        let metricsServer = MetricsEndpoint.server(settings: settings, metrics: metrics, logger: logger)
        try await ProcessStartup.run("Worker", settings: settings, clients: clients, services: [worker] + [metricsServer].compactMap { $0 },
                                     logger: logger)
        await clients.shutdown()
        logger.info("Worker stopped")
    }
}
