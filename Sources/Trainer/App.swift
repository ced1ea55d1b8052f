import ArgumentParser
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
    static let configuration = CommandConfiguration(abstract: "Refit models on TRAIN_SCHEDULE (the Procfile's trainer process).")

    func run() async throws {
        let settings = Settings.loadOrExit()
        StockHubLogging.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "stockhub.trainer")
        let clients = SystemClients(settings: settings, applicationName: "stockhub-trainer")
        logger.info("native libraries", metadata: [
            "xgboost": .string(NativeLibraries.xgboostVersion), "openblas": .string(NativeLibraries.openBLASConfig),
        ])
        try await ProcessStartup.run(
            "Trainer", settings: settings, clients: clients,
            services: [WaitForShutdownService(logger: logger, message: "Trainer idle: scheduled refits are not implemented yet (the model-training issue adds them); waiting for SIGTERM")],
            logger: logger)
        await clients.shutdown()
        logger.info("Trainer stopped")
    }
}
