import Foundation
import Logging
import ServiceLifecycle

/// `Trainer schedule`: a training run at every `TRAIN_SCHEDULE` slot, by one trainer at a time.
///
/// - One at a time, cluster-wide: the trainer that holds `trainerLock` (SET NX with a TTL,
///   renewed by its holder well within the TTL) acts; any other waits and retries. A holder that
///   dies frees the lock when the TTL runs out.
/// - Restart-safe: `trainerLastSlot` records the slot whose run was last started and that run,
///   written when the run starts. At each tick the holder takes the latest slot at or before
///   now: a newer slot than the recorded one (a missed one, after downtime, or the first start)
///   starts a run at once, and only that one (older missed slots are not replayed). The recorded
///   run still running (a trainer killed mid-run) is followed, not started again: its train jobs
///   are with the workers, and the symbols already done stay done.
public struct TrainingSchedule: Sendable {
    let schedule: CronSchedule
    let runs: TrainingRuns
    let redis: RedisClient
    let keys: RedisKeys
    let symbols: @Sendable () async throws -> [String]
    /// This process, as the lock's value.
    let holder: String
    let lockTTL: Duration

    public init(schedule: CronSchedule, runs: TrainingRuns, redis: RedisClient, keys: RedisKeys,
                symbols: @escaping @Sendable () async throws -> [String], holder: String = UUID().uuidString, lockTTL: Duration = .seconds(60)) {
        self.schedule = schedule
        self.runs = runs
        self.redis = redis
        self.keys = keys
        self.symbols = symbols
        self.holder = holder
        self.lockTTL = lockTTL
    }

    /// Takes the lock, or renews it if this process holds it; false when another trainer does.
    /// KEYS[1] lock; ARGV[1] holder, ARGV[2] TTL ms. Atomic: check-and-renew must not race a
    /// takeover between the GET and the PEXPIRE.
    static let acquireOrRenew = RedisScript("""
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
        return 0
        """)

    /// Gives the lock up if this process holds it (on shutdown). KEYS[1] lock; ARGV[1] holder.
    static let release = RedisScript("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    public func holdLock() async throws -> Bool {
        try await redis.evaluate(Self.acquireOrRenew, keys: [RedisArgument(keys.trainerLock)],
                                 arguments: [RedisArgument(holder), RedisArgument(Int(lockTTL.components.seconds) * 1000)]).int == 1
    }

    public func releaseLock() async throws {
        _ = try await redis.evaluate(Self.release, keys: [RedisArgument(keys.trainerLock)], arguments: [RedisArgument(holder)])
    }

    struct LastSlot: Codable {
        let slot: String
        let run: String
    }

    public enum Tick: Sendable, Equatable {
        /// Another trainer holds the schedule.
        case notHolder
        /// No slot has come yet under this schedule (or none within 5 years).
        case noSlot
        /// A run was started for this slot.
        case started(run: String, slot: String)
        /// The slot's run is still going (started by this or an earlier trainer).
        case following(run: String, slot: String)
        /// The slot's run has ended; nothing to do until the next slot.
        case upToDate(slot: String)
    }

    /// One look at the schedule at `now`: holds the lock, then starts the due slot's run if it
    /// has none, else reports on it.
    public func tick(now: Date) async throws -> Tick {
        guard try await holdLock() else { return .notHolder }
        guard let due = schedule.latest(atOrBefore: now) else { return .noSlot }
        let slot = ISO8601DateFormatter().string(from: due)
        if case .bulk(let bytes) = try await redis.command("GET", RedisArgument(keys.trainerLastSlot)),
           let last = try? JSONDecoder().decode(LastSlot.self, from: Data(bytes)), last.slot >= slot {
            let run = try await runs.refresh(last.run)
            return run?.status == .running ? .following(run: last.run, slot: last.slot) : .upToDate(slot: last.slot)
        }
        let run = try await runs.start(symbols: try await symbols(), trigger: .schedule, slot: slot, now: now)
        try await redis.command("SET", RedisArgument(keys.trainerLastSlot),
                                RedisArgument(bytes: Array(try JSONEncoder().encode(LastSlot(slot: slot, run: run.id)))))
        return .started(run: run.id, slot: slot)
    }
}

/// The trainer process's loop: a tick at start, then at each slot, and every `lockTTL / 3`
/// meanwhile (to renew the lock and follow a running run). Stops on SIGTERM.
public struct TrainingScheduler: Service {
    let schedule: TrainingSchedule
    let logger: Logger
    let now: @Sendable () -> Date

    public init(schedule: TrainingSchedule, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.schedule = schedule
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        let renewEvery = schedule.lockTTL / 3
        var lastReported: TrainingSchedule.Tick?
        logger.info("training schedule \(schedule.schedule) (UTC); next slot \(next())")
        while !Task.isShuttingDownGracefully {
            do {
                let tick = try await schedule.tick(now: now())
                if tick != lastReported {
                    switch tick {
                    case .notHolder: logger.info("another trainer holds the schedule; waiting")
                    case .noSlot: logger.info("no slot of \(schedule.schedule) has come yet; next \(next())")
                    case let .started(run, slot): logger.info("training run \(run) started for slot \(slot)")
                    case let .following(run, slot): logger.info("training run \(run) for slot \(slot) is running")
                    case let .upToDate(slot): logger.info("training for slot \(slot) has ended; next training at \(next())")
                    }
                    lastReported = tick
                }
            } catch {
                logger.warning("training schedule: \(error); trying again in \(renewEvery)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: renewEvery) }
        }
        try? await schedule.releaseLock()
    }

    private func next() -> String {
        schedule.schedule.next(after: now()).map { ISO8601DateFormatter().string(from: $0) } ?? "never"
    }
}
