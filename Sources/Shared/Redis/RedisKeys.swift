/// Every Redis key StockHub uses, in one place. All live under `stockhub:`.
public enum RedisKeys {
    /// A revoked access token's id; the key expires when the token would have.
    public static func revokedToken(_ jti: String) -> String { "stockhub:auth:revoked:\(jti)" }

    /// Failed logins for one account (keyed by a hash of the lower-cased login, so usernames
    /// never appear in Redis) within the current window.
    public static func loginFailuresForAccount(_ accountHash: String) -> String { "stockhub:throttle:login:account:\(accountHash)" }

    /// Failed logins from one client address within the current window.
    public static func loginFailuresForAddress(_ address: String) -> String { "stockhub:throttle:login:addr:\(address)" }

    /// Registrations attempted from one client address within the current window.
    public static func registrationsForAddress(_ address: String) -> String { "stockhub:throttle:register:addr:\(address)" }

    /// A cached forecast document for a symbol and model version (expires after 60 minutes).
    public static func prediction(namespace: String, modelVersion: String, symbol: String) -> String {
        "\(namespace):prediction:\(modelVersion):\(symbol)"
    }

    /// The job queue's keys under one namespace (`stockhub` in production; tests use their own
    /// so they can run side by side on one Redis).
    public struct Queue: Sendable {
        public let namespace: String
        public init(namespace: String = "stockhub") { self.namespace = namespace }

        /// The stream every worker reads through one consumer group.
        public var stream: String { "\(namespace):jobs" }
        public var group: String { "workers" }
        /// Jobs waiting for a retry, scored by the time they are due (ms since 1970).
        public var delayed: String { "\(namespace):jobs:delayed" }
        /// Jobs that used up their attempts, with their last error.
        public var deadLetters: String { "\(namespace):jobs:dead" }
        /// The job record (hash): type, params, status, attempts, times, progress, stage, result, error.
        public func job(_ id: String) -> String { "\(namespace):job:\(id)" }
        /// Pub/sub channel with the job's status and progress changes.
        public func events(_ id: String) -> String { "\(namespace):job:\(id):events" }
        /// The id of the in-flight job for an equal request (same symbol and model version).
        public func dedup(_ key: String) -> String { "\(namespace):dedup:\(key)" }
    }
}
