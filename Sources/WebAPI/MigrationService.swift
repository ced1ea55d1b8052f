import Logging
import ServiceLifecycle
import Shared

/// Applies the schema at start. Postgres may be down when `web` boots: then it retries with
/// backoff in the background while the server answers `/health` and reports the database as
/// down on `/api/status`, instead of crash-looping.
struct MigrationService: Service {
    let postgres: PostgresClient
    let logger: Logger

    func run() async throws {
        var delay = Duration.seconds(1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let applied = try await Migrator().migrate(on: postgres)
                logger.info("database schema up to date", metadata: ["applied": "\(applied)"])
                break
            } catch let error as PostgresError {
                if case .migration = error {
                    logger.critical("migration failed: \(error)")
                    throw error
                }
                logger.warning("migrations waiting for Postgres: \(error); retrying in \(delay)")
            } catch {
                logger.warning("migrations waiting: \(error); retrying in \(delay)")
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(30))
        }
        // Nothing more to do; stay alive so the ServiceGroup does not treat this as a finished service.
        try? await gracefulShutdown()
    }
}
