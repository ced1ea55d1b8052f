import Foundation
@testable import Shared
import Testing

@Suite("Training schedule: cron slots, one trainer, catch-up, resume")
struct TrainingScheduleTests {
    static func date(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test func cronExpressionsFindTheirSlotsInUTC() throws {
        let weekly = try CronSchedule("0 3 * * 6")  // Saturdays 03:00
        #expect(weekly.latest(atOrBefore: Self.date("2026-12-04T16:00:00Z")) == Self.date("2026-11-28T03:00:00Z"))
        #expect(weekly.next(after: Self.date("2026-12-04T16:00:00Z")) == Self.date("2026-12-05T03:00:00Z"))
        #expect(weekly.latest(atOrBefore: Self.date("2026-12-05T03:00:00Z")) == Self.date("2026-12-05T03:00:00Z"))
        let quarterly = try CronSchedule("*/15 * * * *")
        #expect(quarterly.next(after: Self.date("2026-12-04T16:07:30Z")) == Self.date("2026-12-04T16:15:00Z"))
        // Both day fields restricted: either matches (the 1st, or a Monday), as in cron.
        let either = try CronSchedule("30 6 1 * 1")
        #expect(either.next(after: Self.date("2026-12-01T07:00:00Z")) == Self.date("2026-12-07T06:30:00Z"))
        #expect(either.next(after: Self.date("2026-12-28T07:00:00Z")) == Self.date("2027-01-01T06:30:00Z"))
        #expect(try CronSchedule("0 0 * * 7") == CronSchedule("0 0 * * 7"))
        #expect(try CronSchedule("0 0 * * 7").next(after: Self.date("2026-12-04T00:00:00Z")) == Self.date("2026-12-06T00:00:00Z"))
        #expect(try CronSchedule("0 0 31 2 *").next(after: Self.date("2026-12-04T00:00:00Z")) == nil)
        for bad in ["weekly", "* * * *", "60 * * * *", "0 24 * * *", "5-1 * * * *", "*/0 * * * *", "a * * * *", "0 0 0 * *", "1,,2 * * * *"] {
            #expect(throws: CronSchedule.ParseError.self, "\(bad)") { try CronSchedule(bad) }
        }
    }

    struct Setup {
        let redis: RedisClient
        let keys: RedisKeys
        let queue: JobQueue
        let runs: TrainingRuns
        func schedule(holder: String, lockTTL: Duration = .seconds(60)) throws -> TrainingSchedule {
            TrainingSchedule(schedule: try CronSchedule("0 3 * * 6"), runs: runs, redis: redis, keys: keys,
                             symbols: { ["MSFT"] }, holder: holder, lockTTL: lockTTL)
        }
    }

    func setup() async throws -> Setup {
        let redis = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 4))
        let keys = RedisKeys(namespace: uniqueName("test-schedule"))
        let queue = JobQueue(redis: redis, keys: keys.queue)
        try await queue.prepare()
        return Setup(redis: redis, keys: keys, queue: queue, runs: TrainingRuns(queue: queue, keys: keys, modelVersion: uniqueName("t")))
    }

    @Test func aTrainerDownAtItsSlotRunsTheLatestMissedSlotOnceOnStart() async throws {
        let s = try await setup()
        // The last run was three Saturdays ago; the trainer starts on a Friday.
        try await s.redis.command("SET", RedisArgument(s.keys.trainerLastSlot), #"{"slot":"2026-11-14T03:00:00Z","run":"old"}"#)
        let trainer = try s.schedule(holder: "a")
        let now = Self.date("2026-12-04T16:00:00Z")
        let first = try await trainer.tick(now: now)
        guard case .started(let run, "2026-11-28T03:00:00Z") = first else { Issue.record("\(first)"); return }
        // The next look finds that run (its train job has no worker here): nothing new starts.
        #expect(try await trainer.tick(now: now) == .following(run: run, slot: "2026-11-28T03:00:00Z"))
        #expect(try await trainer.tick(now: Self.date("2026-12-05T02:59:00Z")) == .following(run: run, slot: "2026-11-28T03:00:00Z"))
        #expect(try await s.runs.latest(limit: 10) == [run])
        let record = try #require(try await s.runs.refresh(run))
        #expect(record.trigger == .schedule && record.slot == "2026-11-28T03:00:00Z" && record.symbols.map(\.symbol) == ["MSFT"])
        // At the next slot, the next run.
        guard case .started(_, "2026-12-05T03:00:00Z") = try await trainer.tick(now: Self.date("2026-12-05T03:00:10Z")) else {
            Issue.record("no run at the next slot"); return
        }
        #expect(try await s.runs.latest(limit: 10).count == 2)
    }

    @Test func twoTrainersStartedAtOnceMakeOneRun() async throws {
        let s = try await setup()
        let now = Self.date("2026-12-04T16:00:00Z")
        let ticks = try await withThrowingTaskGroup(of: TrainingSchedule.Tick.self) { group in
            for holder in ["a", "b", "c"] { group.addTask { try await s.schedule(holder: holder).tick(now: now) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(ticks.filter { if case .started = $0 { true } else { false } }.count == 1, "\(ticks)")
        #expect(ticks.filter { $0 == .notHolder }.count == 2, "\(ticks)")
        #expect(try await s.runs.latest(limit: 10).count == 1)
    }

    @Test func aTrainerKilledMidRunFollowsThatRunAfterItsLockExpiresAndDoesNotStartAnother() async throws {
        let s = try await setup()
        let now = Self.date("2026-12-04T16:00:00Z")
        // The first trainer starts the run and dies without releasing its lock: nobody else acts
        // until the lock's TTL runs out (shortened here rather than waited for).
        guard case .started(let run, let slot) = try await s.schedule(holder: "dead").tick(now: now) else {
            Issue.record("no run started"); return
        }
        let replacement = try s.schedule(holder: "new")
        #expect(try await replacement.tick(now: now) == .notHolder)
        _ = try await s.redis.command("PEXPIRE", RedisArgument(s.keys.trainerLock), "1")
        try await waitFor("the dead trainer's lock to expire") { try await replacement.tick(now: now) != .notHolder }
        #expect(try await replacement.tick(now: now) == .following(run: run, slot: slot))
        // The run's job completes (as a worker would), and the run with it: no second run.
        let delivery = try #require(try await s.queue.fetch(consumer: "w", count: 1, block: .milliseconds(100)).first)
        _ = try await s.queue.start(delivery)
        try await s.queue.complete(delivery, result: "{}")
        #expect(try await replacement.tick(now: now) == .upToDate(slot: slot))
        #expect(try await s.runs.refresh(run)?.status == .done)
        #expect(try await s.runs.latest(limit: 10) == [run])
    }
}
