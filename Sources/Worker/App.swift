import ArgumentParser
import Logging
import Shared

/// Takes jobs from the Redis queue and runs them. Configured by the environment alone.
@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "Worker", abstract: "StockHub's job worker.")

    @Option(help: "Jobs run at once (overrides WORKER_CONCURRENCY).") var concurrency: Int?

    func run() async throws {
        var settings = Settings.loadOrExit()
        if let concurrency { settings.workerConcurrency = concurrency }
        StockHubLogging.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "stockhub.worker")
        let clients = SystemClients(settings: settings, applicationName: "stockhub-worker")
        await ProcessStartup.announce("Worker", settings: settings, clients: clients, logger: logger)
        try await ProcessStartup.run(
            [WaitForShutdownService(logger: logger, message: "Worker idle: job consumption is not implemented yet (the job-pipeline issue adds it); waiting for SIGTERM")],
            logger: logger)
        await clients.shutdown()
        logger.info("Worker stopped")
    }
}
