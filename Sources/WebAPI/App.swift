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
        subcommands: [Serve.self, Migrate.self, Admin.self],
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
        let dependencies = await AppDependencies.make(settings: settings, clients: clients, logger: logger)
        let app = buildApplication(
            dependencies,
            logger: logger,
            extraServices: [MigrationService(postgres: clients.postgres, logger: logger)])
        try await app.runService()
        await clients.shutdown()
        await dependencies.hasher.shutdown()
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

/// Operator commands for admin accounts (there is no route that makes the first admin).
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, promote or demote admin accounts.",
        subcommands: [Create.self, Promote.self, Demote.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an admin account. The password comes from STOCKHUB_ADMIN_PASSWORD or the first line of standard input.")

        @Option(help: "3-32 of A-Z a-z 0-9 _ . -") var username: String
        @Option(help: "The account's email.") var email: String

        func run() async throws {
            let password = ProcessInfo.processInfo.environment["STOCKHUB_ADMIN_PASSWORD"] ?? readLine(strippingNewline: true) ?? ""
            try await AdminTask.run { settings, users in
                do {
                    try AccountRules.checkUsername(username)
                    try AccountRules.checkEmail(email)
                    try AccountRules.checkPassword(password)
                } catch {
                    throw ValidationError("\(error)")
                }
                let hash = try await PasswordHasher(cost: settings.bcryptCost, threads: 1).hash(password)
                let user = try await users.create(username: username, email: email, passwordHash: hash, isAdmin: true)
                print("created admin \(user.username) (\(user.id))")
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an existing account (username or email) an admin.")
        @Argument var login: String
        func run() async throws { try await AdminTask.setAdmin(login, true) }
    }

    struct Demote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take admin rights from an account (username or email).")
        @Argument var login: String
        func run() async throws { try await AdminTask.setAdmin(login, false) }
    }
}

enum AdminTask {
    /// Loads settings, brings the schema up to date, and runs `body` against the users table.
    static func run(_ body: @escaping (Settings, UserRepository) async throws -> Void) async throws {
        let settings = Settings.loadOrExit()
        StockHubLogging.bootstrap(level: "warning")
        let postgres = PostgresClient(settings: PostgresClientSettings(url: settings.databaseURL, poolSize: 1, applicationName: "stockhub-admin"))
        defer { Task { await postgres.shutdown() } }
        do {
            try await Migrator().migrate(on: postgres)
            try await body(settings, UserRepository(db: postgres))
        } catch let error as ValidationError {
            throw error
        } catch {
            print("error: \(error)")
            throw ExitCode(1)
        }
    }

    static func setAdmin(_ login: String, _ isAdmin: Bool) async throws {
        try await run { _, users in
            guard let user = try await users.setAdmin(login, isAdmin) else {
                print("error: no account with username or email \(login)")
                throw ExitCode(1)
            }
            print("\(user.username) is \(isAdmin ? "now" : "no longer") an admin")
        }
    }
}
