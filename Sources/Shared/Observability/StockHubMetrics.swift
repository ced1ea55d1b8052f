import Prometheus

/// One process's metrics, in Prometheus form (README "Metrics" lists every name). An instance is
/// made at start and passed to whatever records, never reached through swift-metrics' global
/// `MetricsSystem`: that may be bootstrapped once per process, and tests run many apps in one.
///
/// Labels are bounded by construction: kinds, job types, model and provider names come from the
/// code, never from a request (no symbols, users or raw paths).
public final class StockHubMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Every family with a fixed label set is created here so a scrape shows it at zero before
    /// the first event (a rate over a series that appears late misses its first increments).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                jobTypes: [String] = [], cacheKinds: [String] = MarketDataCache.Kind.allCases.map(\.rawValue) + ["prediction"]) {
        self.registry = registry
        queueReadErrors = registry.makeCounter(descriptor: .init(namespace: "stockhub", metricName: "queue_read_errors", unitName: "total",
                                                                 helpText: "Scrapes whose queue gauges could not be read from Redis (the gauges keep their last values)."))
        deadLettered = registry.makeCounter(descriptor: .init(namespace: "stockhub", metricName: "jobs_dead_lettered", unitName: "total",
                                                              helpText: "Deliveries this worker moved to the dead-letter stream (attempts used up)."))
        // Made once: a cached request (the hot path) then increments without the registry's lock.
        cacheCounters = Dictionary(uniqueKeysWithValues: cacheKinds.map { kind in
            (kind, CacheCounters(hit: registry.makeCounter(descriptor: Self.cacheHits, labels: [("kind", kind)]),
                                 miss: registry.makeCounter(descriptor: Self.cacheMisses, labels: [("kind", kind)])))
        })
        for type in jobTypes { _ = registry.makeCounter(descriptor: Self.enqueued, labels: [("type", type)]) }
    }

    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    // MARK: Caches

    private static let cacheHits = MetricNameDescriptor(namespace: "stockhub", metricName: "cache_hits", unitName: "total",
                                                        helpText: "Lookups answered from a cache, by kind (market data kinds, prediction).")
    private static let cacheMisses = MetricNameDescriptor(namespace: "stockhub", metricName: "cache_misses", unitName: "total",
                                                          helpText: "Lookups the cache could not answer fresh, by kind.")

    private struct CacheCounters: Sendable {
        let hit: Counter
        let miss: Counter
    }
    private let cacheCounters: [String: CacheCounters]

    public func cacheLookup(kind: String, hit: Bool) {
        if let counters = cacheCounters[kind] {
            (hit ? counters.hit : counters.miss).increment()
        } else {
            registry.makeCounter(descriptor: hit ? Self.cacheHits : Self.cacheMisses, labels: [("kind", kind)]).increment()
        }
    }

    // MARK: Market data providers

    /// How one provider call ended.
    public enum ProviderOutcome: String, Sendable {
        case ok, noData = "no_data", notOffered = "not_offered", rateLimited = "rate_limited", error
    }

    private static let providerCalls = MetricNameDescriptor(namespace: "stockhub", metricName: "provider_calls", unitName: "total",
                                                            helpText: "Market data provider calls, by provider and outcome (ok, no_data, not_offered, rate_limited, error).")
    private static let rateLimitWaits = MetricNameDescriptor(namespace: "stockhub", metricName: "rate_limit_waits", unitName: "total",
                                                             helpText: "Outbound calls that waited for the shared budget, by provider.")
    private static let rateLimitWaitSeconds = MetricNameDescriptor(namespace: "stockhub", metricName: "rate_limit_wait_seconds", unitName: "total",
                                                                   helpText: "Seconds spent waiting for the shared outbound budget, by provider.")
    private static let rateLimitRefusals = MetricNameDescriptor(namespace: "stockhub", metricName: "rate_limit_refusals", unitName: "total",
                                                                helpText: "Outbound calls refused because the budget would not free up in time, by provider.")

    public func providerCall(_ provider: String, _ outcome: ProviderOutcome) {
        registry.makeCounter(descriptor: Self.providerCalls, labels: [("provider", provider), ("outcome", outcome.rawValue)]).increment()
    }

    public func rateLimitWaited(_ provider: String, for wait: Duration) {
        registry.makeCounter(descriptor: Self.rateLimitWaits, labels: [("provider", provider)]).increment()
        registry.makeCounter(descriptor: Self.rateLimitWaitSeconds, labels: [("provider", provider)]).increment(by: wait.seconds)
    }

    public func rateLimitRefused(_ provider: String) {
        registry.makeCounter(descriptor: Self.rateLimitRefusals, labels: [("provider", provider)]).increment()
    }

    // MARK: Queue

    private static let enqueued = MetricNameDescriptor(namespace: "stockhub", metricName: "jobs_enqueued", unitName: "total",
                                                       helpText: "Jobs added to the queue by this process, by type (deduplicated requests not counted).")

    public func jobsEnqueued(type: String, count: Int = 1) {
        registry.makeCounter(descriptor: Self.enqueued, labels: [("type", type)]).increment(by: Int64(count))
    }

    let queueReadErrors: Counter

    /// The queue as read at scrape time (`JobQueue.gauges()`), or nil when it could not be read.
    public func record(queue: JobQueue.Gauges?) {
        guard let queue else {
            queueReadErrors.increment()
            return
        }
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: .init(namespace: "stockhub", metricName: name, unitName: "", helpText: help))
        }
        gauge("queue_depth", "Entries in the job stream: waiting or delivered and not yet acknowledged.").set(Double(queue.depth))
        gauge("queue_pending", "Entries delivered to a worker and not yet acknowledged.").set(Double(queue.pending))
        gauge("queue_delayed", "Jobs waiting for a retry.").set(Double(queue.delayed))
        gauge("queue_dead_letters", "Entries in the dead-letter stream.").set(Double(queue.deadLetters))
        gauge("queue_oldest_pending_age_seconds", "Age of the oldest unacknowledged delivery's entry (0 when none).").set(queue.oldestPendingAge.seconds)
    }

    // MARK: Jobs run by this process (Worker)

    private static let started = MetricNameDescriptor(namespace: "stockhub", metricName: "jobs_started", unitName: "total",
                                                      helpText: "Jobs this process started, by type.")
    private static let finished = MetricNameDescriptor(namespace: "stockhub", metricName: "jobs_finished", unitName: "total",
                                                       helpText: "Jobs this process finished successfully, by type.")
    private static let failed = MetricNameDescriptor(namespace: "stockhub", metricName: "jobs_failed", unitName: "total",
                                                     helpText: "Job attempts that failed, by type and reason (error: for good, retry: will run again, timeout).")
    private static let jobDuration = MetricNameDescriptor(namespace: "stockhub", metricName: "job_duration", unitName: "seconds",
                                                          helpText: "How long job handlers ran, by type.")
    static let jobBuckets: [Duration] = [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                         .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)]

    public func jobStarted(type: String) {
        registry.makeCounter(descriptor: Self.started, labels: [("type", type)]).increment()
    }

    /// - Parameter failure: nil for success, else "error", "retry" or "timeout".
    public func jobEnded(type: String, failure: String?, took: Duration?) {
        if let failure {
            registry.makeCounter(descriptor: Self.failed, labels: [("type", type), ("reason", failure)]).increment()
        } else {
            registry.makeCounter(descriptor: Self.finished, labels: [("type", type)]).increment()
        }
        if let took {
            registry.makeDurationHistogram(descriptor: Self.jobDuration, labels: [("type", type)], buckets: Self.jobBuckets).record(took)
        }
    }

    let deadLettered: Counter
    public func jobDeadLettered() { deadLettered.increment() }

    // MARK: Models and artifacts

    private static let fitSeconds = MetricNameDescriptor(namespace: "stockhub", metricName: "model_fit", unitName: "seconds",
                                                         helpText: "Time to fit one model on one series (the final fit, not backtest refits), by model.")
    static let fitBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250),
                                         .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(15), .seconds(60)]
    private static let artifacts = MetricNameDescriptor(namespace: "stockhub", metricName: "artifacts_written", unitName: "total",
                                                        helpText: "Files written to artifact storage, by kind (model artifact or manifest).")
    private static let artifactBytes = MetricNameDescriptor(namespace: "stockhub", metricName: "artifact_written", unitName: "bytes_total",
                                                            helpText: "Bytes written to artifact storage.")

    public func modelFitted(_ model: String, took: Duration) {
        registry.makeDurationHistogram(descriptor: Self.fitSeconds, labels: [("model", model)], buckets: Self.fitBuckets).record(took)
    }

    public func artifactWritten(kind: String, bytes: Int) {
        registry.makeCounter(descriptor: Self.artifacts, labels: [("kind", kind)]).increment()
        registry.makeCounter(descriptor: Self.artifactBytes).increment(by: Int64(bytes))
    }
}

extension Duration {
    /// The duration in seconds as a Double (Prometheus' base unit).
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

// A struct of immutable strings: safe to share; swift-prometheus 2.4.1 does not declare it.
extension MetricNameDescriptor: @retroactive @unchecked Sendable {}
