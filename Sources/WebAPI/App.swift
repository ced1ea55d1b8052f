import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Shared

/// The HTTP API. With no arguments it serves; the environment configures it (a Procfile runs it
/// as `WebAPI`). `WebAPI migrate` applies the schema and exits (the Procfile's release phase).
@main
struct WebAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "WebAPI",
        abstract: "StockHub's HTTP API.",
        subcommands: [Serve.self, Migrate.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the API (the default).")

    @Option(help: "Address to bind (overrides HOST).") var host: String?
    @Option(help: "Port to listen on (overrides PORT).") var port: Int?

    func run() async throws {
        var settings = Settings.loadOrExit()
        if let host { settings.host = host }
        if let port { settings.port = port }
        StockHubLogging.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "stockhub.web")
        logger.info("WebAPI starting", metadata: settings.summary.mapValues { .string($0) })

        let clients = SystemClients(settings: settings, applicationName: "stockhub-web")
        let app = buildApplication(
            AppDependencies(settings: settings, clients: clients),
            logger: logger,
            extraServices: [MigrationService(postgres: clients.postgres, logger: logger)])
        try await app.runService()
        await clients.shutdown()
        logger.info("WebAPI stopped")
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations and exit.")

    func run() async throws {
        let settings = Settings.loadOrExit()
        StockHubLogging.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "stockhub.migrate")
        let postgres = PostgresClient(settings: PostgresClientSettings(url: settings.databaseURL, poolSize: 1, applicationName: "stockhub-migrate"))
        do {
            let applied = try await Migrator().migrate(on: postgres)
            logger.info("migrations applied", metadata: ["applied": "\(applied)", "known": "\(StockHubMigrations.all.count)"])
            await postgres.shutdown()
        } catch {
            logger.critical("migrations failed: \(error)")
            await postgres.shutdown()
            throw ExitCode(1)
        }
    }
}
