import Logging
import ServiceLifecycle

/// How `Worker` and `Trainer` run: say what they are configured with (never secrets), then run
/// their services under one service group until SIGTERM or SIGINT.
public enum ProcessStartup {
    /// The dependency report runs inside the group, beside the services, rather than before
    /// it: a SIGTERM while a check waits on a slow Postgres or S3 is then a graceful stop (exit
    /// 0), not death by the signal's default action, and the services need not wait for it. A
    /// dependency that is down is reported, never fatal (a PaaS restarts processes in any order).
    public static func run(_ process: String, settings: Settings, clients: SystemClients, services: [any Service], logger: Logger) async throws {
        logger.info("\(process) starting", metadata: settings.summary.mapValues { .string($0) })
        let report = ServiceGroupConfiguration.ServiceConfiguration(
            service: DependencyReport(clients: clients, budget: .seconds(settings.dependencyCheckSeconds), logger: logger), successTerminationBehavior: .ignore)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + [report],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// Pings every dependency once and logs the result, then ends (without ending the group).
struct DependencyReport: Service {
    let clients: SystemClients
    let budget: Duration
    let logger: Logger

    func run() async {
        logger.info("checking dependencies")
        for dependency in await DependencyHealth.check(clients, budget: budget) {
            let metadata: Logger.Metadata = ["dependency": .string(dependency.name), "detail": .string(dependency.detail)]
            if dependency.isOK {
                logger.info("dependency ok", metadata: metadata)
            } else {
                logger.warning("dependency down", metadata: metadata)
            }
        }
    }
}
