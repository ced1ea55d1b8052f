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
        // Generous margins: the suite runs in parallel on 2 cores, so steps can be slow (a 2 s
        // timeout once passed between the start and the first reclaim under a full run).
        let queue = try await queue(JobQueueSettings(visibilityTimeout: .seconds(10)))
        let job = try await queue.enqueue(type: "ping", params: "{}")
        let first = try await queue.fetch(consumer: "doomed", count: 1, block: .milliseconds(100))[0]
        #expect(try await queue.start(first).isRun)
        // "doomed" dies here without acknowledging.
        #expect(try await queue.reclaim(consumer: "alive", count: 10).isEmpty)  // not idle long enough yet
        try await Task.sleep(for: .milliseconds(10_200))
        let reclaimed = try await queue.reclaim(consumer: "alive", count: 10)
        #expect(reclaimed == [first])
        #expect(try await queue.start(reclaimed[0]).isRun)
        #expect(try await queue.record(job.id)?.attempts == 2)
        try await queue.complete(reclaimed[0], result: "{}")
        #expect(try await queue.record(job.id)?.status == .done)
    }

    @Test func touchKeepsALongJobFromBeingReclaimed() async throws {
        // 15 touches 300 ms apart span at least 4.5 s, past the 3 s timeout (sleeps never end
        // early); a stall under load only lengthens the span, and a gap would need 3 s to matter.
        let queue = try await queue(JobQueueSettings(visibilityTimeout: .seconds(3)))
        _ = try await queue.enqueue(type: "slow", params: "{}")
        let delivery = try await queue.fetch(consumer: "busy", count: 1, block: .milliseconds(100))[0]
        _ = try await queue.start(delivery)
        for _ in 0..<15 {
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

    @Test func aBatchIsEnqueuedInOrderWithTheDedupRuleInsideIt() async throws {
        let queue = try await queue()
        let added = try await queue.enqueue([
            .init(type: "ping", params: #"{"n":1}"#),
            .init(type: "predict", params: "{}", dedupKey: "MSFT:v1"),
            .init(type: "predict", params: "{}", dedupKey: "MSFT:v1"),
            .init(type: "ping", params: #"{"n":2}"#),
        ])
        #expect(added.map(\.deduplicated) == [false, false, true, false])
        #expect(added[1].id == added[2].id && Set(added.map(\.id)).count == 3)
        #expect(try await queue.depth().stream == 3)
        let fetched = try await queue.fetch(consumer: "w", count: 10, block: .milliseconds(100))
        #expect(fetched.map(\.jobID) == [added[0].id, added[1].id, added[3].id])
        #expect(try await queue.record(added[3].id)?.params == #"{"n":2}"#)
        // A status read leaves the params in Redis and is otherwise the same record.
        let full = try #require(try await queue.record(added[3].id))
        let status = try #require(try await queue.record(added[3].id, params: false))
        #expect(status.params == "{}")
        #expect(status.type == full.type && status.status == full.status && status.attempts == full.attempts && status.createdAt == full.createdAt)
        #expect(try await queue.record(UUID().uuidString.lowercased(), params: false) == nil)
    }

    @Test func aBatchStartsAndEndsEachJobOnItsOwn() async throws {
        let queue = try await queue(JobQueueSettings(maxAttempts: 1, visibilityTimeout: .milliseconds(50)))
        let ids = try await queue.enqueue((0..<5).map { .init(type: "ping", params: #"{"n":\#($0)}"#) }).map(\.id)
        // Job 4 already used its only attempt (its worker died): the next start dead-letters it.
        let first = try await queue.fetch(consumer: "doomed", count: 10, block: .milliseconds(100))
        #expect(try await queue.start([first[4]]).map { try $0.get().isRun } == [true])
        try await Task.sleep(for: .milliseconds(80))
        let batch = try await queue.reclaim(consumer: "w", count: 10)
        #expect(batch.map(\.jobID) == ids)
        // One more job with no record any more (expired): the start drops its entry.
        try await redis.command("DEL", RedisArgument(queue.keys.job(ids[3])))

        let starts = try await queue.start(batch).map { try $0.get() }
        #expect(starts.map(\.isRun) == [true, true, true, false, false])
        #expect(starts[3] == .gone)
        guard case .deadLettered(let error) = starts[4] else { Issue.record("\(starts[4])"); return }
        #expect(error.contains("gave up after 1 attempts"))

        let results = try await queue.record(outcomes: [
            (batch[0], .done(result: #"{"ok":0}"#)),
            (batch[1], .failed(error: "bad input")),
            (batch[2], .retry(error: "provider timed out", attempt: 1)),
        ])
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        let records = try await ids.asyncMap { try await queue.record($0) }
        #expect(records[0]?.status == .done && records[0]?.result == #"{"ok":0}"#)
        #expect(records[1]?.status == .failed && records[1]?.error == "bad input")
        #expect(records[2]?.status == .queued && records[2]?.error == "provider timed out")
        #expect(records[3] == nil)
        #expect(records[4]?.status == .failed)
        let depth = try await queue.depth()
        #expect(depth.stream == 0 && depth.pending == 0 && depth.delayed == 1 && depth.deadLetters == 1)
    }

    @Test func aBatchWhoseScriptsTheServerForgotIsResentByText() async throws {
        // A server of its own: SCRIPT FLUSH on the shared one would race the other tests.
        let server = try RedisServerProcess()
        try await server.start()
        let redis = RedisClient(settings: RedisClientSettings(endpoint: try RedisEndpoint(url: server.url), poolSize: 2))
        let queue = JobQueue(redis: redis, keys: RedisKeys.Queue(namespace: uniqueName("test:q")))
        try await queue.prepare()
        let ids = try await queue.enqueue((0..<3).map { _ in .init(type: "ping", params: "{}") }).map(\.id)
        let batch = try await queue.fetch(consumer: "w", count: 10, block: .milliseconds(100))
        try await redis.command("SCRIPT", "FLUSH")
        #expect(try await queue.start(batch).map { try $0.get().isRun } == [true, true, true])
        try await redis.command("SCRIPT", "FLUSH")
        // Two scripts in one batch (finish and release), both forgotten.
        let results = try await queue.record(outcomes: [(batch[0], .done(result: "{}")), (batch[1], .release), (batch[2], .done(result: "{}"))])
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        let records = try await ids.asyncMap { try await queue.record($0) }
        #expect(records[0]?.status == .done && records[2]?.status == .done)
        #expect(records[1]?.status == .queued && records[1]?.attempts == 0)
        #expect(try await queue.depth().pending == 0)
        await redis.shutdown()
        await server.kill()
    }

    @Test func touchingABatchKeepsEveryEntryFromBeingReclaimed() async throws {
        let queue = try await queue(JobQueueSettings(visibilityTimeout: .seconds(3)))  // as above: the span beats the timeout
        _ = try await queue.enqueue((0..<3).map { _ in .init(type: "slow", params: "{}") })
        let batch = try await queue.fetch(consumer: "busy", count: 10, block: .milliseconds(100))
        _ = try await queue.start(batch)
        for _ in 0..<15 {
            try await Task.sleep(for: .milliseconds(300))
            try await queue.touch(batch, consumer: "busy")
        }
        #expect(try await queue.reclaim(consumer: "thief", count: 10).isEmpty)
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

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}

extension JobQueue.StartOutcome {
    var isRun: Bool { if case .run = self { true } else { false } }
}
