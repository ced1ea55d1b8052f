import Foundation
@testable import Shared
import Testing

/// The queue's transitions against a real Redis, each test in a namespace of its own.
@Suite("Job queue on Redis Streams")
struct JobQueueTests {
    let redis: RedisClient

    init() throws {
        redis = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 4))
    }

    func queue(_ settings: JobQueueSettings = JobQueueSettings()) async throws -> JobQueue {
        let queue = JobQueue(redis: redis, keys: RedisKeys.Queue(namespace: uniqueName("test:q")), settings: settings)
        try await queue.prepare()
        try await queue.prepare()  // idempotent
        return queue
    }

    @Test func enqueueFetchCompleteKeepsTheResultAndEmptiesTheStream() async throws {
        let queue = try await queue()
        let job = try await queue.enqueue(type: "ping", params: #"{"n":1}"#)
        #expect(!job.deduplicated)
        #expect(try await queue.record(job.id)?.status == .queued)

        let deliveries = try await queue.fetch(consumer: "w1", count: 10, block: .milliseconds(100))
        #expect(deliveries.map(\.jobID) == [job.id])
        #expect(try await queue.start(deliveries[0]).isRun)
        let running = try #require(try await queue.record(job.id))
        #expect(running.status == .running && running.attempts == 1 && running.startedAt != nil)

        try await queue.report(job.id, progress: 0.5, stage: "fitting ARIMA")
        #expect(try await queue.record(job.id)?.stage == "fitting ARIMA")

        try await queue.complete(deliveries[0], result: #"{"ok":true}"#)
        let done = try #require(try await queue.record(job.id))
        #expect(done.status == .done && done.result == #"{"ok":true}"# && done.progress == 1 && done.finishedAt != nil)
        let ttl = try await redis.command("TTL", RedisArgument(queue.keys.job(job.id))).int ?? -1
        #expect(ttl > 86_000 && ttl <= 86_400)
        let depth = try await queue.depth()
        #expect(depth.stream == 0 && depth.pending == 0)
        #expect(try await queue.fetch(consumer: "w1", count: 10, block: .milliseconds(50)).isEmpty)
    }

    @Test func scriptsAreResentWhenTheServerForgotThem() async throws {
        let queue = try await queue()
        // After a restart or SCRIPT FLUSH, EVALSHA answers NOSCRIPT and the text is sent again.
        try await redis.command("SCRIPT", "FLUSH")
        let job = try await queue.enqueue(type: "ping", params: "{}")
        #expect(try await queue.record(job.id)?.status == .queued)
        let sha = QueueScripts.enqueue.sha1
        #expect(try await redis.command("SCRIPT", "EXISTS", RedisArgument(sha)).array == [.integer(1)])
    }

    @Test func anEqualRequestInFlightGetsTheSameJobUntilItFinishes() async throws {
        let queue = try await queue()
        let ids = try await withThrowingTaskGroup(of: JobQueue.Enqueued.self) { group in
            for _ in 0..<20 { group.addTask { try await queue.enqueue(type: "predict", params: "{}", dedupKey: "AAPL:v1") } }
            return try await group.reduce(into: [JobQueue.Enqueued]()) { $0.append($1) }
        }
        #expect(Set(ids.map(\.id)).count == 1)
        #expect(ids.filter { !$0.deduplicated }.count == 1)
        #expect(try await queue.depth().stream == 1)

        let delivery = try await queue.fetch(consumer: "w", count: 1, block: .milliseconds(100))[0]
        _ = try await queue.start(delivery)
        try await queue.complete(delivery, result: "{}")
        // Finished: a new request makes a new job.
        let next = try await queue.enqueue(type: "predict", params: "{}", dedupKey: "AAPL:v1")
        #expect(!next.deduplicated && next.id != ids[0].id)
    }

    @Test func aDeliveryHeldByADeadConsumerIsReclaimedAndCountsAsAnAttempt() async throws {
        // Generous margins: the suite runs in parallel on 2 cores, so steps can be slow.
        let queue = try await queue(JobQueueSettings(visibilityTimeout: .seconds(2)))
        let job = try await queue.enqueue(type: "ping", params: "{}")
        let first = try await queue.fetch(consumer: "doomed", count: 1, block: .milliseconds(100))[0]
        #expect(try await queue.start(first).isRun)
        // "doomed" dies here without acknowledging.
        #expect(try await queue.reclaim(consumer: "alive", count: 10).isEmpty)  // not idle long enough yet
        try await Task.sleep(for: .milliseconds(2200))
        let reclaimed = try await queue.reclaim(consumer: "alive", count: 10)
        #expect(reclaimed == [first])
        #expect(try await queue.start(reclaimed[0]).isRun)
        #expect(try await queue.record(job.id)?.attempts == 2)
        try await queue.complete(reclaimed[0], result: "{}")
        #expect(try await queue.record(job.id)?.status == .done)
    }

    @Test func touchKeepsALongJobFromBeingReclaimed() async throws {
        let queue = try await queue(JobQueueSettings(visibilityTimeout: .seconds(1)))
        _ = try await queue.enqueue(type: "slow", params: "{}")
        let delivery = try await queue.fetch(consumer: "busy", count: 1, block: .milliseconds(100))[0]
        _ = try await queue.start(delivery)
        for _ in 0..<5 {
            try await Task.sleep(for: .milliseconds(300))
            try await queue.touch(delivery, consumer: "busy")
        }
        #expect(try await queue.reclaim(consumer: "thief", count: 10).isEmpty)
    }

    @Test func aJobThatKeepsDyingEndsInTheDeadLetters() async throws {
        let queue = try await queue(JobQueueSettings(maxAttempts: 3, visibilityTimeout: .milliseconds(50)))
        let job = try await queue.enqueue(type: "crashy", params: "{}", dedupKey: "crashy")
        var delivery = try await queue.fetch(consumer: "w0", count: 1, block: .milliseconds(100))[0]
        var starts = 0
        for attempt in 1...4 {
            if try await queue.start(delivery).isRun { starts += 1 } else { break }
            try await Task.sleep(for: .milliseconds(80))  // the worker "dies"; another reclaims
            delivery = try #require(try await queue.reclaim(consumer: "w\(attempt)", count: 1).first)
        }
        #expect(starts == 3)
        let record = try #require(try await queue.record(job.id))
        #expect(record.status == .failed && record.attempts == 3)
        #expect(record.error?.contains("gave up after 3 attempts") == true)
        let dead = try await queue.deadLetters(limit: 5)
        #expect(dead.count == 1 && dead[0].jobID == job.id && dead[0].type == "crashy" && dead[0].attempts == 3)
        let depth = try await queue.depth()
        #expect(depth.stream == 0 && depth.pending == 0 && depth.deadLetters == 1)
        // The dedup key went with it: the same request can be made again.
        #expect(try await !queue.enqueue(type: "crashy", params: "{}", dedupKey: "crashy").deduplicated)
    }

    @Test func transientFailuresWaitInTheDelayedSetThenRunAgain() async throws {
        let queue = try await queue(JobQueueSettings(retryBaseDelay: .milliseconds(100), retryMaxDelay: .milliseconds(200)))
        let job = try await queue.enqueue(type: "flaky", params: "{}")
        let delivery = try await queue.fetch(consumer: "w", count: 1, block: .milliseconds(100))[0]
        _ = try await queue.start(delivery)
        try await queue.retry(delivery, error: "provider timed out", attempt: 1)
        let waiting = try #require(try await queue.record(job.id))
        #expect(waiting.status == .queued && waiting.error == "provider timed out")
        #expect(try await queue.depth().delayed == 1)
        #expect(try await queue.fetch(consumer: "w", count: 1, block: .milliseconds(20)).isEmpty)

        try await Task.sleep(for: .milliseconds(250))
        #expect(try await queue.promoteDue() == 1)
        #expect(try await queue.promoteDue() == 0)  // moved exactly once
        let again = try await queue.fetch(consumer: "w", count: 1, block: .milliseconds(100))
        #expect(again.map(\.jobID) == [job.id])
        #expect(try await queue.start(again[0]).isRun)
        #expect(try await queue.record(job.id)?.attempts == 2)
    }

    @Test func permanentFailureAndReleaseBehaveAsDocumented() async throws {
        let queue = try await queue()
        let bad = try await queue.enqueue(type: "predict", params: #"{"symbol":"NOPE"}"#)
        let good = try await queue.enqueue(type: "predict", params: #"{"symbol":"AAPL"}"#)
        let deliveries = try await queue.fetch(consumer: "w", count: 2, block: .milliseconds(100))
        for delivery in deliveries { _ = try await queue.start(delivery) }
        try await queue.fail(deliveries.first { $0.jobID == bad.id }!, error: "unknown symbol NOPE")
        #expect(try await queue.record(bad.id)?.status == .failed)
        #expect(try await queue.deadLetters(limit: 1).isEmpty)  // a permanent failure is not a dead letter

        // Shutdown: the running job is handed back at once and its attempt is not counted.
        try await queue.release(deliveries.first { $0.jobID == good.id }!)
        #expect(try await queue.record(good.id)?.attempts == 0)
        let redelivered = try await queue.fetch(consumer: "other", count: 1, block: .milliseconds(100))
        #expect(redelivered.map(\.jobID) == [good.id])
    }

    @Test func eventsArePublishedOnTheJobsChannel() async throws {
        let queue = try await queue()
        let job = try await queue.enqueue(type: "ping", params: "{}")
        let subscriber = try RedisConnection(endpoint: try TestServices.redisEndpoint(), connectTimeout: .seconds(1), commandTimeout: .seconds(3))
        _ = try subscriber.command(["SUBSCRIBE", RedisArgument(queue.keys.events(job.id))])
        let delivery = try await queue.fetch(consumer: "w", count: 1, block: .milliseconds(100))[0]
        _ = try await queue.start(delivery)
        try await queue.report(job.id, progress: 0.25, stage: "loading prices")
        try await queue.complete(delivery, result: #"{"v":1}"#)
        var statuses: [String] = []
        for _ in 0..<3 {
            // Pushed messages: ["message", channel, payload]
            guard let pushed = try? subscriber.readPush(timeout: .seconds(3)), let payload = pushed.array?.last?.string,
                  let object = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { break }
            statuses.append("\(object["status"] ?? "?")")
        }
        #expect(statuses == ["running", "running", "done"])
        subscriber.close()
    }
}

extension JobQueue.StartOutcome {
    var isRun: Bool { if case .run = self { true } else { false } }
}
