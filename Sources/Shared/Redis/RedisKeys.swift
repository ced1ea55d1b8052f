/// Every Redis key StockHub uses, in one place, all under one namespace (`REDIS_NAMESPACE`,
/// `stockhub` by default), so several deployments or test runs can share one Redis.
public struct RedisKeys: Sendable, Equatable {
    public let namespace: String
    public init(namespace: String = "stockhub") { self.namespace = namespace }

    // MARK: Auth

    /// A revoked access token's id; the key expires when the token would have.
    public func revokedToken(_ jti: String) -> String { "\(namespace):auth:revoked:\(jti)" }
    /// Revoked ids scored by expiry: what a revocation watcher loads when it (re)subscribes.
    public var revokedIndex: String { "\(namespace):auth:revoked-index" }
    /// Pub/sub channel announcing each revocation (`jti expiry`) to every web process.
    public var revocationChannel: String { "\(namespace):auth:revocations" }

    /// Failed logins for one account (keyed by a hash of the lower-cased login, so usernames
    /// never appear in Redis) within the current window.
    public func loginFailuresForAccount(_ accountHash: String) -> String { "\(namespace):throttle:login:account:\(accountHash)" }
    /// Failed logins from one client address within the current window.
    public func loginFailuresForAddress(_ address: String) -> String { "\(namespace):throttle:login:addr:\(address)" }
    /// Registrations attempted from one client address within the current window.
    public func registrationsForAddress(_ address: String) -> String { "\(namespace):throttle:register:addr:\(address)" }

    /// Jobs one user created within a `JOB_QUOTA` window (`limit` like `60/60`: count/seconds).
    public func jobQuota(user: String, limit: String) -> String { "\(namespace):throttle:jobs:user:\(user):\(limit)" }

    // MARK: Predictions

    /// A cached forecast document for a symbol and model version (see `PredictionCache`).
    public func prediction(modelVersion: String, symbol: String) -> String { "\(namespace):prediction:\(modelVersion):\(symbol)" }

    // MARK: Market data

    /// A provider's answer for one kind of data and symbol (`_market` for market-wide news).
    public func marketData(_ kind: String, _ subject: String) -> String { "\(namespace):md:\(kind):\(subject)" }

    // MARK: Training

    /// One training run's record (JSON): trigger, symbols and their train jobs, outcome.
    public func trainingRun(_ id: String) -> String { "\(namespace):train:run:\(id)" }
    /// Every run's id, scored by its start (ms since 1970): the latest runs first.
    public var trainingRuns: String { "\(namespace):train:runs" }
    /// Held (with a TTL its holder renews) by the one trainer that runs the schedule.
    public var trainerLock: String { "\(namespace):train:lock" }
    /// The scheduled slot (ISO 8601 minute, UTC) whose run was last started, and that run's id.
    public var trainerLastSlot: String { "\(namespace):train:last-slot" }

    // MARK: Jobs

    public var queue: Queue { Queue(namespace: namespace) }

    /// The job queue's keys under one namespace.
    public struct Queue: Sendable, Equatable {
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
