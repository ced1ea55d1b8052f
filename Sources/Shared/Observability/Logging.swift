import Foundation
import Logging

public enum StockHubLogging {
    /// One line per event on stdout (a PaaS collects stdout), with the level from `LOG_LEVEL`.
    /// Call once, first thing in `main`.
    public static func bootstrap(level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = parsed
            return handler
        }
    }
}
