import Logging
import ServiceLifecycle

/// A service that does nothing but wait for graceful shutdown: keeps a process alive (and
/// SIGTERM-able through the ServiceGroup) while its real work lives in other services.
public struct WaitForShutdownService: Service {
    let logger: Logger
    let message: String

    public init(logger: Logger, message: String) {
        self.logger = logger
        self.message = message
    }

    public func run() async throws {
        logger.info("\(message)")
        try? await gracefulShutdown()
        logger.info("shutdown requested; stopping")
    }
}
