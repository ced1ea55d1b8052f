import Logging
import ServiceLifecycle

/// What `Worker` and `Trainer` do at start: connect, say what they are configured with (never
/// secrets), and report each dependency, without refusing to start when one is down (a PaaS
/// restarts processes in any order).
public enum ProcessStartup {
    public static func announce(_ process: String, settings: Settings, clients: SystemClients, logger: Logger) async {
        logger.info("\(process) starting", metadata: settings.summary.mapValues { .string($0) })
        for dependency in await DependencyHealth.check(clients) {
            let metadata: Logger.Metadata = ["dependency": .string(dependency.name), "detail": .string(dependency.detail)]
            if dependency.isOK {
                logger.info("dependency ok", metadata: metadata)
            } else {
                logger.warning("dependency down", metadata: metadata)
            }
        }
    }

    /// Runs the services until SIGTERM or SIGINT, then shuts them down gracefully.
    public static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
