import ArgumentParser
import Foundation
import Forecasting
import Logging
import Shared

/// Weekly refits and the forecasting CLI.
@main
struct TrainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Trainer",
        abstract: "StockHub's model trainer.",
        subcommands: [Schedule.self, RunOnce.self, ForecastCommand.self, BacktestCommand.self],
        defaultSubcommand: Schedule.self)
}

struct Schedule: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train every model on TRAIN_SCHEDULE (the Procfile's trainer process): one trainer at a time, a missed slot run on start.")

    func run() async throws {
        let settings = Settings.loadOrExit()
        StockHubLogging.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "stockhub.trainer")
        let clients = SystemClients(settings: settings, applicationName: "stockhub-trainer")
        logger.info("native libraries", metadata: [
            "xgboost": .string(NativeLibraries.xgboostVersion), "openblas": .string(NativeLibraries.openBLASConfig),
        ])
        // The scheduler fans training out as train jobs: what it records is what it enqueues.
        let metrics = StockHubMetrics(jobTypes: [TrainRequest.jobType])
        let queue = JobQueue(redis: clients.redis, keys: settings.redisKeys.queue,
                             settings: JobQueueSettings(maxAttempts: settings.jobMaxAttempts,
                                                        visibilityTimeout: .seconds(settings.jobVisibilityTimeoutSeconds)),
                             metrics: metrics)
        let schedule = TrainingSchedule(
            schedule: settings.trainSchedule,
            runs: TrainingRuns(queue: queue, keys: settings.redisKeys, modelVersion: settings.modelVersion),
            redis: clients.redis, keys: settings.redisKeys,
            symbols: { try await settings.defaultTrainingSymbols() },
            holder: "\(ProcessInfo.processInfo.hostName)-\(getpid())")
        try await ProcessStartup.run("Trainer", settings: settings, clients: clients,
                                     services: [TrainingScheduler(schedule: schedule, logger: logger)]
                                         + [MetricsEndpoint.server(settings: settings, metrics: metrics, logger: logger)].compactMap { $0 },
                                     logger: logger)
        await clients.shutdown()
        logger.info("Trainer stopped")
    }
}
