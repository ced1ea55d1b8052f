import Foundation

/// A job's lifecycle state (see JobStates.md).
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, done, failed, timeout

    public var isFinished: Bool { self == .done || self == .failed || self == .timeout }
}

/// A job as stored in its Redis hash.
public struct JobRecord: Sendable, Equatable {
    public let id: String
    public let type: String
    /// The handler's input, JSON text.
    public let params: String
    public let status: JobStatus
    public let attempts: Int
    public let progress: Double
    public let stage: String?
    /// The handler's output, JSON text, once done.
    public let result: String?
    public let error: String?
    public let createdAt: Date?
    public let startedAt: Date?
    public let finishedAt: Date?
}

/// One delivery of a job to a worker: the stream entry it came from and the job it names.
public struct JobDelivery: Sendable, Equatable {
    public let entryID: String
    public let jobID: String
}

public struct JobQueueSettings: Sendable {
    /// Starts allowed per job; the next start dead-letters it instead (JOB_MAX_ATTEMPTS).
    public var maxAttempts: Int
    /// A delivery idle this long is presumed dead and reclaimed (JOB_VISIBILITY_TIMEOUT_SECONDS).
    public var visibilityTimeout: Duration
    /// How long a finished job's record stays readable.
    public var recordTTL: Duration
    /// How long a dedup key may outlive its job if the job is lost entirely.
    public var dedupTTL: Duration
    /// Approximate stream length cap (MAXLEN ~). Acked entries are deleted at once, so only
    /// unconsumed work is in the stream; the cap is a safety net against a runaway producer.
    public var maxStreamLength: Int
    public var retryBaseDelay: Duration
    public var retryMaxDelay: Duration

    public init(maxAttempts: Int = 5, visibilityTimeout: Duration = .seconds(60), recordTTL: Duration = .seconds(86_400),
                dedupTTL: Duration = .seconds(3600), maxStreamLength: Int = 1_000_000,
                retryBaseDelay: Duration = .seconds(1), retryMaxDelay: Duration = .seconds(300)) {
        self.maxAttempts = maxAttempts
        self.visibilityTimeout = visibilityTimeout
        self.recordTTL = recordTTL
        self.dedupTTL = dedupTTL
        self.maxStreamLength = maxStreamLength
        self.retryBaseDelay = retryBaseDelay
        self.retryMaxDelay = retryMaxDelay
    }
}

/// Jobs on a Redis Stream with one consumer group, at-least-once: an entry is acknowledged only
/// in the same atomic step that writes the job's outcome. The pieces live in
/// JobQueue+Enqueue (producers), +Fetch (delivery, reclaim, start), +Outcome (done, failed,
/// retry, release, dead letters) and +Delayed (promotion of due retries). Enqueue, start and
/// the outcomes also come in batched forms that pipeline one script per job (one round trip
/// for the batch; each job's transition still atomic on its own).
public struct JobQueue: Sendable {
    public let redis: RedisClient
    public let keys: RedisKeys.Queue
    public let settings: JobQueueSettings
    /// Counts the jobs this process enqueues (nil: not counted).
    public let metrics: StockHubMetrics?

    public init(redis: RedisClient, keys: RedisKeys.Queue = RedisKeys.Queue(), settings: JobQueueSettings = JobQueueSettings(),
                metrics: StockHubMetrics? = nil) {
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.metrics = metrics
    }

    /// Creates the stream and the consumer group if missing (idempotent; every process calls it).
    public func prepare() async throws {
        do {
            try await redis.command("XGROUP", "CREATE", RedisArgument(keys.stream), RedisArgument(keys.group), "0", "MKSTREAM")
        } catch RedisError.replyError(_, let message) where message.hasPrefix("BUSYGROUP") {
            return
        }
    }

    /// The job's record, or nil for an unknown (or expired) id. Without `params` the record's
    /// params read "{}": a status poll need not fetch an uploaded series (up to ~250 KB) each time.
    public func record(_ id: String, params: Bool = true) async throws -> JobRecord? {
        guard !params else { return Self.record(id, fields: try await redis.command("HGETALL", RedisArgument(keys.job(id))).fieldMap) }
        let reply = try await redis.command(["HMGET", RedisArgument(keys.job(id))] + Self.statusFields.map { RedisArgument($0) })
        // HMGET answers the values in order, nil where absent.
        var fields: [String: String] = [:]
        for (name, value) in zip(Self.statusFields, reply.array ?? []) { fields[name] = value.string }
        return Self.record(id, fields: fields)
    }

    /// Every field of a job's record but its params.
    private static let statusFields = ["type", "status", "attempts", "progress", "stage", "result", "error", "created_at", "started_at", "finished_at"]

    /// Several jobs' records in one round trip, in the order of `ids`.
    public func records(_ ids: [String]) async throws -> [JobRecord?] {
        guard !ids.isEmpty else { return [] }
        let replies = try await redis.pipeline(ids.map { ["HGETALL", RedisArgument(keys.job($0))] })
        return zip(ids, replies).map { Self.record($0, fields: $1.fieldMap) }
    }

    private static func record(_ id: String, fields: [String: String]) -> JobRecord? {
        guard !fields.isEmpty else { return nil }
        func date(_ name: String) -> Date? { fields[name].flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) } }
        return JobRecord(
            id: id, type: fields["type"] ?? "", params: fields["params"] ?? "{}",
            status: fields["status"].flatMap(JobStatus.init(rawValue:)) ?? .queued,
            attempts: fields["attempts"].flatMap(Int.init) ?? 0,
            progress: fields["progress"].flatMap(Double.init) ?? 0,
            stage: fields["stage"].flatMap { $0.isEmpty ? nil : $0 },
            result: fields["result"], error: fields["error"],
            createdAt: date("created_at"), startedAt: date("started_at"), finishedAt: date("finished_at"))
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
