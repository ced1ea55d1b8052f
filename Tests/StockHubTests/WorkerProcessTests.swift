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

    func waitUntil(_ limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    func statuses(_ ids: [String]) async throws -> [JobStatus: Int] { try await statuses(ids, on: redis, queue) }

    @Test func killedWorkersNeverLoseAJob() async throws {
        try await queue.prepare()
        var ids: [String] = []
        for index in 0..<1000 { ids.append(try await queue.enqueue(type: "ping", params: #"{"sleep_ms": 5, "echo": "\#(index)"}"#).id) }
        var workers = try (0..<3).map { _ in try startWorker() }
        // Kill a random worker with SIGKILL every 400 ms and start a replacement, for 4 s.
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(400))
            let victim = Int.random(in: 0..<workers.count)
            workers[victim].signal(SIGKILL)
            _ = await workers[victim].waitForExit(limit: .seconds(5))
            workers[victim] = try startWorker()
        }
        let finished = try await waitUntil(.seconds(90)) { try await statuses(ids)[.done] == ids.count }
        let counts = try await statuses(ids)
        #expect(finished, "statuses after 90 s: \(counts)")
        let depth = try await queue.depth()
        #expect(depth.pending == 0 && depth.stream == 0, "\(depth)")
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(await worker.waitForExit(limit: .seconds(25)) == 0, "\(worker.output)") }
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
        _ = try await waitUntil(.seconds(20)) { (try await statuses(ids, on: redis, queue)[.done] ?? 0) >= 20 }
        await server.kill()
        try await Task.sleep(for: .seconds(1))
        try await server.start()
        let finished = try await waitUntil(.seconds(90)) { try await statuses(ids, on: redis, queue)[.done] == ids.count }
        let counts = try await statuses(ids, on: redis, queue)
        #expect(finished, "statuses: \(counts)\n\(workers[0].output.suffix(2000))")
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(await worker.waitForExit(limit: .seconds(25)) == 0) }
        await redis.shutdown()
        await server.kill()
    }

    func statuses(_ ids: [String], on redis: RedisClient, _ queue: JobQueue) async throws -> [JobStatus: Int] {
        let replies = try await redis.pipeline(ids.map { ["HGET", RedisArgument(queue.keys.job($0)), "status"] })
        return replies.reduce(into: [:]) { counts, reply in counts[reply.string.flatMap(JobStatus.init(rawValue:)) ?? .queued, default: 0] += 1 }
    }

    @Test func aJobOfAKilledWorkerIsCompletedByAnotherAfterTheVisibilityTimeout() async throws {
        try await queue.prepare()
        let first = try startWorker(["WORKER_CONCURRENCY": "1"])
        let job = try await queue.enqueue(type: "ping", params: #"{"sleep_ms": 3000}"#)
        #expect(try await waitUntil(.seconds(20)) { try await queue.record(job.id)?.status == .running })
        first.signal(SIGKILL)
        _ = await first.waitForExit(limit: .seconds(5))
        let second = try startWorker(["WORKER_CONCURRENCY": "1"])
        #expect(try await waitUntil(.seconds(30)) { try await queue.record(job.id)?.status == .done }, "\(second.output)")
        #expect(try await queue.record(job.id)?.attempts == 2)
        second.signal(SIGTERM)
        #expect(await second.waitForExit(limit: .seconds(25)) == 0)
    }

    @Test func sigtermDuringAJobLetsItFinishAndExitsZero() async throws {
        try await queue.prepare()
        let worker = try startWorker(["WORKER_CONCURRENCY": "1"])
        let job = try await queue.enqueue(type: "ping", params: #"{"sleep_ms": 2000}"#)
        #expect(try await waitUntil(.seconds(20)) { try await queue.record(job.id)?.status == .running })
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(limit: .seconds(25)) == 0, "\(worker.output)")
        #expect(try await queue.record(job.id)?.status == .done)
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
            #expect(try await waitUntil(.seconds(30)) { try await queue.record(job.id)?.status == .failed }, "\(worker.output)")
            let record = try #require(try await queue.record(job.id))
            #expect(record.attempts == 2)
            #expect(record.error?.contains("ping asked to fail (transient)") == true)
            let dead = try await queue.deadLetters(limit: 10)
            #expect(dead.map(\.jobID) == [job.id])
            #expect(try await waitUntil(.seconds(10)) { alerts.withLock { $0.contains { $0.contains(job.id) && $0.contains("job.dead_lettered") } } })

            // A permanent failure fails at once, without retries or dead letters.
            let bad = try await queue.enqueue(type: "ping", params: #"{"fail": "permanent"}"#)
            #expect(try await waitUntil(.seconds(10)) { try await queue.record(bad.id)?.status == .failed })
            #expect(try await queue.record(bad.id)?.attempts == 1)
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(limit: .seconds(25)) == 0)
        }
    }
}
