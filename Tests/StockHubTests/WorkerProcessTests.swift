import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Shared
import Synchronization
import Testing

/// Real `Worker` processes against the real Redis: throughput, kill -9, SIGTERM, dead letters.
@Suite("Worker processes")
struct WorkerProcessTests {
    let namespace = uniqueName("test-workers")
    let redis: RedisClient
    let queue: JobQueue

    init() throws {
        redis = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 8))
        queue = JobQueue(redis: redis, keys: RedisKeys.Queue(namespace: namespace))
    }

    func startWorker(_ extra: [String: String] = [:]) throws -> ChildProcess {
        var environment = TestServices.environment()
        environment["REDIS_NAMESPACE"] = namespace
        environment["JOB_VISIBILITY_TIMEOUT_SECONDS"] = "5"
        environment["WORKER_CONCURRENCY"] = "4"
        environment["LOG_LEVEL"] = "notice"
        environment.merge(extra) { $1 }
        return try ChildProcess(try BuiltProducts.path("Worker"), environment: environment)
    }

    /// A worker that has said it consumes (past its dependency checks, its SIGTERM handler in
    /// place): on a loaded CI machine start-up alone can take seconds.
    func startConsumingWorker(_ extra: [String: String] = [:]) async throws -> ChildProcess {
        let worker = try startWorker(extra.merging(["LOG_LEVEL": "info"]) { $1 })
        let ready = try await waitUntil { worker.output.contains("Worker consuming") }
        #expect(ready, "worker \(worker.pid) never started consuming: \(worker.output)")
        return worker
    }

    func statuses(_ ids: [String]) async throws -> [JobStatus: Int] { try await statuses(ids, on: redis, queue) }

    /// Ten SIGKILLs, each aimed at a worker that holds delivered, unacknowledged jobs at that
    /// moment (so every kill interrupts work rather than landing before start-up or after the
    /// last job); every job still ends done, and the jobs it held ran again.
    @Test func killedWorkersNeverLoseAJob() async throws {
        try await queue.prepare()
        var ids: [String] = []
        // 1000 × 100 ms over at most 12 runners: 8 s of work at the very least, so the kills land
        // while it is in hand even when this test is slow to look.
        for index in 0..<1000 { ids.append(try await queue.enqueue(type: "ping", params: #"{"sleep_ms": 100, "echo": "\#(index)"}"#).id) }
        let host = ProcessInfo.processInfo.hostName
        var workers = try (0..<3).map { _ in try startWorker(["LOG_LEVEL": "info"]) }  // info: says when it consumes
        var interrupting = 0
        for round in 0..<10 {
            // Wait for some worker to hold jobs, then kill that one (-1: the work ran out first).
            let victim = try await waitForValue("a worker holding jobs in round \(round)") { () -> Int? in
                let held = try await queue.pendingSummary().byConsumer
                if let holder = workers.indices.first(where: { (held["\(host)-\(workers[$0].pid)"] ?? 0) > 0 }) { return holder }
                return try await statuses(ids)[.done] == ids.count ? -1 : nil
            }
            guard victim >= 0 else { break }
            let held = try await queue.pendingSummary().byConsumer["\(host)-\(workers[victim].pid)"] ?? 0
            workers[victim].signal(SIGKILL)
            _ = await workers[victim].waitForExit(limit: Patience.generous)
            if held > 0 { interrupting += 1 }
            workers[victim] = try startWorker(["LOG_LEVEL": "info"])
        }
        let finished = try await waitUntil { try await statuses(ids)[.done] == ids.count }
        let counts = try await statuses(ids)
        #expect(finished, "statuses after \(Patience.generous): \(counts)")
        #expect(interrupting >= 1, "no kill landed while its worker held jobs")
        // The kills interrupted real work: some jobs were delivered again after a reclaim.
        let attempts = try await redis.pipeline(ids.map { ["HGET", RedisArgument(queue.keys.job($0)), "attempts"] }).map { $0.int ?? 0 }
        #expect(attempts.contains { $0 >= 2 }, "no job needed a second attempt: attempts \(Set(attempts))")
        #expect(attempts.allSatisfy { $0 >= 1 })
        let depth = try await queue.depth()
        #expect(depth.pending == 0 && depth.stream == 0, "\(depth)")
        // A replacement started in the last round may still be starting up (on a loaded CI
        // machine, before its SIGTERM handler exists): wait until it says it consumes.
        for worker in workers {
            let ready = try await waitUntil { worker.output.contains("Worker consuming") }
            #expect(ready, "worker \(worker.pid) never started consuming: \(worker.output)")
        }
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(await worker.waitForExit(limit: Patience.generous) == 0, "\(worker.output)") }
    }

    @Test func jobsQueuedAndPendingSurviveARedisRestart() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let redis = RedisClient(settings: RedisClientSettings(endpoint: try RedisEndpoint(url: server.url), poolSize: 4))
        let queue = JobQueue(redis: redis, keys: RedisKeys.Queue(namespace: namespace))
        try await queue.prepare()
        var ids: [String] = []
        for _ in 0..<200 { ids.append(try await queue.enqueue(type: "ping", params: #"{"sleep_ms": 20}"#).id) }
        let workers = try (0..<2).map { _ in try startWorker(["REDIS_URL": server.url]) }
        // Let the workers get going, then kill Redis with jobs done, pending and queued.
        _ = try await waitUntil { (try await statuses(ids, on: redis, queue)[.done] ?? 0) >= 20 }
        await server.kill()
        try await Task.sleep(for: .seconds(1))
        try await server.start()
        let finished = try await waitUntil { try await statuses(ids, on: redis, queue)[.done] == ids.count }
        let counts = try await statuses(ids, on: redis, queue)
        #expect(finished, "statuses: \(counts)\n\(workers[0].output.suffix(2000))")
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(await worker.waitForExit(limit: Patience.generous) == 0) }
        await redis.shutdown()
        await server.kill()
    }

    func statuses(_ ids: [String], on redis: RedisClient, _ queue: JobQueue) async throws -> [JobStatus: Int] {
        let replies = try await redis.pipeline(ids.map { ["HGET", RedisArgument(queue.keys.job($0)), "status"] })
        return replies.reduce(into: [:]) { counts, reply in counts[reply.string.flatMap(JobStatus.init(rawValue:)) ?? .queued, default: 0] += 1 }
    }

    @Test func aJobOfAKilledWorkerIsCompletedByAnotherAfterTheVisibilityTimeout() async throws {
        try await queue.prepare()
        let first = try await startConsumingWorker(["WORKER_CONCURRENCY": "1"])
        // Long enough that a test stalled for many seconds on a loaded machine still sees it running.
        let job = try await queue.enqueue(type: "ping", params: #"{"sleep_ms": 30000}"#)
        #expect(try await waitUntil { try await queue.record(job.id)?.status == .running }, "\(first.output)")
        first.signal(SIGKILL)
        _ = await first.waitForExit(limit: Patience.generous)
        let second = try await startConsumingWorker(["WORKER_CONCURRENCY": "1"])
        #expect(try await waitUntil { try await queue.record(job.id)?.status == .done }, "\(second.output)")
        let record = try await queue.record(job.id)
        #expect(record?.attempts == 2, "\(String(describing: record))")
        second.signal(SIGTERM)
        #expect(await second.waitForExit(limit: Patience.generous) == 0, "\(second.output)")
    }

    @Test func sigtermDuringAJobLetsItFinishAndExitsZero() async throws {
        try await queue.prepare()
        // A 15 s job inside the longest grace (20 s): seen running even by a stalled test, and
        // still able to finish after the SIGTERM.
        let worker = try await startConsumingWorker(["WORKER_CONCURRENCY": "1", "WORKER_SHUTDOWN_GRACE_SECONDS": "20"])
        let job = try await queue.enqueue(type: "ping", params: #"{"sleep_ms": 15000}"#)
        #expect(try await waitUntil { try await queue.record(job.id)?.status == .running }, "\(worker.output)")
        let signalled = Date()
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(limit: Patience.generous) == 0, "\(worker.output)")
        let record = try #require(try await queue.record(job.id))
        #expect(record.status == .done && record.attempts == 1, "\(record)")
        // The signal landed while the job ran: it finished afterwards, in the same attempt.
        #expect((record.finishedAt ?? .distantPast) > signalled, "finished \(String(describing: record.finishedAt)), SIGTERM at \(signalled)")
    }

    @Test func sigtermPastTheGraceReleasesTheJobForImmediateRedelivery() async throws {
        try await queue.prepare()
        // A visibility timeout far beyond the test's waits: only a release can hand the job on in time.
        let settings = ["WORKER_CONCURRENCY": "1", "JOB_VISIBILITY_TIMEOUT_SECONDS": "600"]
        let first = try await startConsumingWorker(settings.merging(["WORKER_SHUTDOWN_GRACE_SECONDS": "1"]) { $1 })
        // Long enough to be seen running by a stalled test and to outlast the 1 s grace.
        let job = try await queue.enqueue(type: "ping", params: #"{"sleep_ms": 30000}"#)
        #expect(try await waitUntil { try await queue.record(job.id)?.status == .running }, "\(first.output)")
        first.signal(SIGTERM)
        #expect(await first.waitForExit(limit: Patience.generous) == 0, "\(first.output)")
        let released = try await queue.record(job.id)
        #expect(released?.status == .queued && released?.attempts == 0, "\(String(describing: released))")
        #expect(first.output.contains("jobs released for redelivery"), "\(first.output)")

        let second = try await startConsumingWorker(settings)
        #expect(try await waitUntil { try await queue.record(job.id)?.status == .done }, "\(second.output)")
        let record = try await queue.record(job.id)
        #expect(record?.attempts == 1, "the released attempt is given back: \(String(describing: record))")
        let depth = try await queue.depth()
        #expect(depth.stream == 0 && depth.pending == 0, "\(depth)")
        second.signal(SIGTERM)
        #expect(await second.waitForExit(limit: Patience.generous) == 0, "\(second.output)")
    }

    @Test func permanentFailuresInABatchFailAloneAndTheRestComplete() async throws {
        try await queue.prepare()
        // Queued before the worker starts, so its batches fill up: failures share batches with successes.
        let jobs = (0..<300).map { index in JobQueue.NewJob(type: "ping", params: index % 25 == 7 ? #"{"fail": "permanent"}"# : "{}") }
        let ids = try await queue.enqueue(jobs).map(\.id)
        let worker = try startWorker(["WORKER_CONCURRENCY": "1"])
        let ended = try await waitUntil {
            let counts = try await statuses(ids)
            return counts[.queued, default: 0] + counts[.running, default: 0] == 0
        }
        let counts = try await statuses(ids)
        #expect(ended, "\(counts)\n\(worker.output.suffix(2000))")
        let records = try await ids.asyncMap { try await queue.record($0) }
        for (index, record) in records.enumerated() {
            let failing = index % 25 == 7
            #expect(record?.status == (failing ? .failed : .done) && record?.attempts == 1, "job \(index): \(String(describing: record))")
        }
        #expect(try await queue.deadLetters(limit: 10).isEmpty)
        let depth = try await queue.depth()
        #expect(depth.stream == 0 && depth.pending == 0 && depth.delayed == 0, "\(depth)")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(limit: Patience.generous) == 0, "\(worker.output)")
    }

    @Test func aWorkerKilledMidBatchLosesNothingAndOnlyThatBatchRunsAgain() async throws {
        try await queue.prepare()
        // Short jobs grow the runner's batches; the slow one holds its batch open (a batch's
        // outcomes are recorded together), so its batchmates stay running until the kill.
        // The slow one runs 30 s: a stalled test still finds it running before the kill.
        let jobs = (0..<300).map { index in JobQueue.NewJob(type: "ping", params: index == 100 ? #"{"sleep_ms": 30000}"# : "{}") }
        let ids = try await queue.enqueue(jobs).map(\.id)
        let first = try startWorker(["WORKER_CONCURRENCY": "1"])
        #expect(try await waitUntil { try await queue.record(ids[100])?.status == .running }, "\(first.output)")
        let running = try await runningJobs(ids)
        first.signal(SIGKILL)
        _ = await first.waitForExit(limit: Patience.generous)
        #expect(running.count >= 2 && running.contains(ids[100]), "running at the kill: \(running.count)")

        let second = try startWorker(["WORKER_CONCURRENCY": "1"])
        let finished = try await waitUntil { try await statuses(ids)[.done] == ids.count }
        let counts = try await statuses(ids)
        #expect(finished, "\(counts)\n\(second.output.suffix(2000))")
        let records = try await ids.asyncMap { try await queue.record($0) }
        for (id, record) in zip(ids, records) {
            // Started again after the reclaim if and only if its batch was in flight.
            #expect(record?.attempts == (running.contains(id) ? 2 : 1), "\(String(describing: record))")
        }
        let depth = try await queue.depth()
        #expect(depth.stream == 0 && depth.pending == 0, "\(depth)")
        second.signal(SIGTERM)
        #expect(await second.waitForExit(limit: Patience.generous) == 0, "\(second.output)")
    }

    func runningJobs(_ ids: [String]) async throws -> Set<String> {
        let replies = try await redis.pipeline(ids.map { ["HGET", RedisArgument(queue.keys.job($0)), "status"] })
        return Set(zip(ids, replies).filter { $0.1.string == "running" }.map(\.0))
    }

    @Test func aJobRunningPastTheTimeoutEndsTimedOutWhileItsBatchmatesComplete() async throws {
        try await queue.prepare()
        let jobs = (0..<40).map { index in JobQueue.NewJob(type: "ping", params: index == 20 ? #"{"sleep_ms": 30000}"# : "{}") }
        let ids = try await queue.enqueue(jobs).map(\.id)
        let worker = try startWorker(["WORKER_CONCURRENCY": "1", "JOB_TIMEOUT_SECONDS": "1"])
        #expect(try await waitUntil { try await queue.record(ids[20])?.status == .timeout }, "\(worker.output)")
        #expect(try await queue.record(ids[20])?.error?.contains("JOB_TIMEOUT_SECONDS") == true)
        let othersDone = try await waitUntil { try await statuses(ids)[.done] == ids.count - 1 }
        let counts = try await statuses(ids)
        #expect(othersDone, "\(counts)")
        #expect(try await queue.depth().pending == 0)
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(limit: Patience.generous) == 0, "\(worker.output)")
    }

    @Test func aJobThatAlwaysFailsIsDeadLetteredAndAlerted() async throws {
        try await queue.prepare()
        let alerts = Mutex<[String]>([])
        let router = Router()
        router.post("/alert") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 16)
            alerts.withLock { $0.append(String(buffer: body)) }
            return .noContent
        }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            let worker = try startWorker(["JOB_MAX_ATTEMPTS": "2", "ALERT_WEBHOOK_URL": "http://127.0.0.1:\(client.port!)/alert"])
            let job = try await queue.enqueue(type: "ping", params: #"{"fail": "transient"}"#)
            #expect(try await waitUntil { try await queue.record(job.id)?.status == .failed }, "\(worker.output)")
            let record = try #require(try await queue.record(job.id))
            #expect(record.attempts == 2)
            #expect(record.error?.contains("ping asked to fail (transient)") == true)
            let dead = try await queue.deadLetters(limit: 10)
            #expect(dead.map(\.jobID) == [job.id])
            #expect(try await waitUntil { alerts.withLock { $0.contains { $0.contains(job.id) && $0.contains("job.dead_lettered") } } })

            // A permanent failure fails at once, without retries or dead letters.
            let bad = try await queue.enqueue(type: "ping", params: #"{"fail": "permanent"}"#)
            #expect(try await waitUntil { try await queue.record(bad.id)?.status == .failed })
            #expect(try await queue.record(bad.id)?.attempts == 1)
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(limit: Patience.generous) == 0)
        }
    }
}
