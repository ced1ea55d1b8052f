import Foundation

/// A training run: one `train` job per symbol, fanned out to the workers (or trained in the
/// trainer's own process with `--inline`), and its record.
///
/// States: a run is `running` until every symbol has an outcome, then `done` (every symbol
/// done) or `failed` (the failures listed). Who moves it: whoever starts it writes the record
/// with its job ids; after that the jobs' own records are the truth, and reading a run
/// (`refresh`) folds their statuses in. So a trainer killed mid-run loses nothing: the workers
/// finish the jobs, and the run completes when read again. Inline runs write each outcome as
/// it lands, and a resumed inline run skips the symbols already done.
public struct TrainingRun: Codable, Sendable, Equatable {
    public enum Trigger: String, Codable, Sendable { case schedule, manual, admin }
    public enum Status: String, Codable, Sendable { case running, done, failed }

    public struct Symbol: Codable, Sendable, Equatable {
        public let symbol: String
        /// The train job (nil for an inline run).
        public var jobID: String?
        /// The job's status: queued, running, done, failed or timeout.
        public var status: String
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case symbol, status, error
            case jobID = "job_id"
        }
    }

    public let id: String
    public let trigger: Trigger
    /// The scheduled slot it serves (ISO 8601, UTC), for scheduled runs.
    public let slot: String?
    public let modelVersion: String
    public let inline: Bool
    public let startedAt: Date
    public var finishedAt: Date?
    public var status: Status
    public var symbols: [Symbol]

    enum CodingKeys: String, CodingKey {
        case id, trigger, slot, inline, status, symbols
        case modelVersion = "model_version"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public var failures: [Symbol] { symbols.filter { ["failed", "timeout"].contains($0.status) } }

    /// Settles the run's status once every symbol has an outcome.
    public mutating func settle(now: Date) {
        guard status == .running, symbols.allSatisfy({ ["done", "failed", "timeout"].contains($0.status) }) else { return }
        status = failures.isEmpty ? .done : .failed
        finishedAt = now
    }
}

extension Settings {
    /// What a training run covers when none is named: TRAIN_SYMBOLS, else every symbol in MARKET_DATA_DIR.
    public func defaultTrainingSymbols() async throws -> [String] {
        if let trainSymbols { return trainSymbols }
        return try await FileMarketData(directory: marketDataDirectory).symbols()
    }
}

/// Training runs in Redis: started, read (with the jobs' statuses folded in), listed.
public struct TrainingRuns: Sendable {
    let queue: JobQueue
    let keys: RedisKeys
    let modelVersion: String
    /// Runs are kept this long, then expire.
    static let retention = 90 * 24 * 3600

    public init(queue: JobQueue, keys: RedisKeys, modelVersion: String) {
        self.queue = queue
        self.keys = keys
        self.modelVersion = modelVersion
    }

    /// Enqueues one train job per symbol (an equal training in flight is shared) and records the run.
    public func start(symbols: [String], trigger: TrainingRun.Trigger, slot: String? = nil, now: Date = Date()) async throws -> TrainingRun {
        let requests = try symbols.map { try TrainRequest(symbol: $0) }
        let jobs = try await queue.enqueue(requests.map { $0.job(modelVersion: modelVersion) })
        let run = TrainingRun(id: UUID().uuidString.lowercased(), trigger: trigger, slot: slot, modelVersion: modelVersion, inline: false,
                              startedAt: now, status: .running,
                              symbols: zip(requests, jobs).map { .init(symbol: $0.symbol, jobID: $1.id, status: "queued") })
        try await save(run, new: true)
        return run
    }

    /// Records a run the caller trains itself (`--inline`), every symbol still to do.
    public func startInline(symbols: [String], trigger: TrainingRun.Trigger, slot: String? = nil, now: Date = Date()) async throws -> TrainingRun {
        let requests = try symbols.map { try TrainRequest(symbol: $0) }
        let run = TrainingRun(id: UUID().uuidString.lowercased(), trigger: trigger, slot: slot, modelVersion: modelVersion, inline: true,
                              startedAt: now, status: .running, symbols: requests.map { .init(symbol: $0.symbol, status: "queued") })
        try await save(run, new: true)
        return run
    }

    public func save(_ run: TrainingRun, new: Bool = false) async throws {
        let json = try APIJSON.encoder().encode(run)
        var commands: [[RedisArgument]] = [["SET", RedisArgument(keys.trainingRun(run.id)), RedisArgument(bytes: Array(json)), "EX", RedisArgument(Self.retention)]]
        if new {
            commands.append(["ZADD", RedisArgument(keys.trainingRuns), RedisArgument(Int(run.startedAt.timeIntervalSince1970 * 1000)), RedisArgument(run.id)])
        }
        for reply in try await queue.redis.pipeline(commands) {
            if case .error(let message) = reply { throw RedisError.replyError(command: "SET/ZADD", message: message) }
        }
    }

    /// The run as it stands, its jobs' statuses folded in (and saved once settled); nil when unknown.
    public func refresh(_ id: String, now: Date = Date()) async throws -> TrainingRun? {
        guard case .bulk(let bytes) = try await queue.redis.command("GET", RedisArgument(keys.trainingRun(id))) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var run = try decoder.decode(TrainingRun.self, from: Data(bytes))
        guard run.status == .running, !run.inline else { return run }
        // One round trip for every job of the run (a trainer follows a run by reading it each second).
        let tracked = run.symbols.indices.filter { run.symbols[$0].jobID != nil }
        let records = try await queue.records(tracked.map { run.symbols[$0].jobID! })
        for (index, record) in zip(tracked, records) {
            if let record {
                run.symbols[index].status = record.status.rawValue
                run.symbols[index].error = record.error
            } else if !["done", "failed", "timeout"].contains(run.symbols[index].status) {
                // The job record expired (24 h after it ended) before anyone read the run.
                run.symbols[index].status = "failed"
                run.symbols[index].error = "the train job's record expired before the run was read"
            }
        }
        run.settle(now: now)
        if run.status != .running { try await save(run) }
        return run
    }

    /// The ids of the most recent runs, newest first.
    public func latest(limit: Int) async throws -> [String] {
        let reply = try await queue.redis.command("ZREVRANGE", RedisArgument(keys.trainingRuns), "0", RedisArgument(limit - 1))
        return (reply.array ?? []).compactMap(\.string)
    }
}
