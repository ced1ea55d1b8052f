import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

@Suite("Job routes: status, events, admin queue")
struct JobsRouteTests {
    let contract: OpenAPIContract
    init() throws { contract = try OpenAPIContract.load() }

    static func dependencies() async throws -> AppDependencies {
        try await WebAPIRouteTests.liveDependencies(["REDIS_NAMESPACE": uniqueName("test-routes"), "ADMIN_API_KEY": "admin-key-0123456789"])
    }

    @Test func statusOfQueuedRunningAndDoneJobs() async throws {
        let dependencies = try await Self.dependencies()
        let queue = dependencies.queue
        try await queue.prepare()
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let unknown = try await client.execute(uri: "/api/jobs/\(UUID().uuidString)", method: .get)
            #expect(unknown.status == .notFound)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/jobs/{id}", unknown)
            let notAnID = try await client.execute(uri: "/api/jobs/nope';DROP", method: .get)
            #expect(notAnID.status == .badRequest)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/jobs/{id}", notAnID)

            let job = try await queue.enqueue(type: "ping", params: "{}")
            let queued = try await client.execute(uri: "/api/jobs/\(job.id)", method: .get)
            #expect(queued.status == .ok && queued.headers[.retryAfter] == "1")
            WebAPIRouteTests.checkContract(contract, "GET", "/api/jobs/{id}", queued)

            let delivery = try await queue.fetch(consumer: "t", count: 1, block: .milliseconds(100))[0]
            _ = try await queue.start(delivery)
            try await queue.report(job.id, progress: 0.4, stage: "fitting")
            let running = try await client.execute(uri: "/api/jobs/\(job.id.uppercased())", method: .get)
            #expect(String(buffer: running.body).contains(#""stage":"fitting""#))
            WebAPIRouteTests.checkContract(contract, "GET", "/api/jobs/{id}", running)

            try await queue.complete(delivery, result: #"{"pong":true,"values":[1,2.5]}"#)
            let done = try await client.execute(uri: "/api/jobs/\(job.id)", method: .get)
            #expect(done.headers[.retryAfter] == nil)
            #expect(String(buffer: done.body).contains(#""result":{"pong":true,"values":[1,2.5]}"#))
            WebAPIRouteTests.checkContract(contract, "GET", "/api/jobs/{id}", done)

            // The result is embedded as the handler wrote it; a result that is not a JSON object or
            // array (no handler of ours writes one) becomes a string rather than break the document.
            let other = try await queue.enqueue(type: "ping", params: "{}")
            let otherDelivery = try await queue.fetch(consumer: "t", count: 1, block: .milliseconds(100))[0]
            _ = try await queue.start(otherDelivery)
            try await queue.complete(otherDelivery, result: "plain \"text\"\n")
            let text = String(buffer: try await client.execute(uri: "/api/jobs/\(other.id)", method: .get).body)
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            #expect(parsed?["result"] as? String == "plain \"text\"\n" && parsed?["id"] as? String == other.id, "\(text)")
        }
    }

    /// Each change is made only after the frame of the one before has arrived, so the order of
    /// frames rests on events, not on sleeps (CI once saw queued → done with no running frame
    /// when the changes were spaced by sleeps).
    @Test func eventsStreamEveryChangeAndEndWhenTheJobEnds() async throws {
        let dependencies = try await Self.dependencies()
        let queue = dependencies.queue
        try await queue.prepare()
        let job = try await queue.enqueue(type: "ping", params: "{}")
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.live) { client in
            let stream = try EventStreamReader(port: try #require(client.port), path: "/api/jobs/\(job.id)/events")
            defer { stream.close() }
            func frame(_ what: String, after seen: Int, _ matches: @escaping ([String: Any]) -> Bool) async throws -> Int {
                try await waitForValue("an SSE frame with \(what); frames so far: \(stream.dataLines)") {
                    stream.objects.dropFirst(seen).firstIndex(where: matches).map { $0 + 1 }
                }
            }
            var seen = try await frame("status queued", after: 0) { $0["status"] as? String == "queued" }
            let head = try #require(stream.head)
            #expect(head.hasPrefix("HTTP/1.1 200") && head.lowercased().contains("content-type: text/event-stream"), "\(head)")
            // The process's one subscription may still be starting: publish a bare event until
            // one comes back as a frame, so the changes below cannot be published into the void.
            let redis = queue.redis, channel = queue.keys.events(job.id), before = seen
            seen = try await waitForValue("a frame answering a probe event (the route's subscription is live)", every: .milliseconds(200)) {
                if stream.objects.count > before { return stream.objects.count }
                _ = try await redis.command("PUBLISH", RedisArgument(channel), "{}")
                return nil
            }

            let delivery = try await queue.fetch(consumer: "t", count: 1, block: .milliseconds(100))[0]
            _ = try await queue.start(delivery)
            seen = try await frame("status running", after: seen) { $0["status"] as? String == "running" }
            try await queue.report(job.id, progress: 0.5, stage: "halfway")
            seen = try await frame("progress 0.5 at stage halfway", after: seen) {
                $0["status"] as? String == "running" && $0["progress"] as? Double == 0.5 && $0["stage"] as? String == "halfway"
            }
            try await queue.complete(delivery, result: #"{"pong":true}"#)
            seen = try await frame("status done with the result", after: seen) {
                $0["status"] as? String == "done" && ($0["result"] as? [String: Any])?["pong"] as? Bool == true
            }
            // The stream ends with the job: nothing follows the done frame.
            try await waitFor("the stream to end after the done frame") { stream.ended }
            #expect(stream.objects.count == seen, "frames after done: \(stream.dataLines.dropFirst(seen))")

            // A finished job's stream is one event and ends at once.
            let again = try await client.execute(uri: "/api/jobs/\(job.id)/events", method: .get)
            #expect(String(buffer: again.body).components(separatedBy: "event: job").count == 2)
        }
    }

    @Test func adminQueueReportsDepthPendingAndDeadLetters() async throws {
        let dependencies = try await Self.dependencies()
        let queue = JobQueue(redis: dependencies.queue.redis, keys: dependencies.queue.keys,
                             settings: JobQueueSettings(maxAttempts: 1, visibilityTimeout: .milliseconds(10)))
        try await queue.prepare()
        _ = try await queue.enqueue(type: "ping", params: "{}")
        let doomed = try await queue.enqueue(type: "crashy", params: "{}")
        let deliveries = try await queue.fetch(consumer: "worker-a", count: 2, block: .milliseconds(100))
        for delivery in deliveries { _ = try await queue.start(delivery) }
        try await Task.sleep(for: .milliseconds(30))
        // The crashy job's second start dead-letters it (max 1 attempt).
        if let reclaimed = try await queue.reclaim(consumer: "worker-b", count: 10).first(where: { $0.jobID == doomed.id }) {
            _ = try await queue.start(reclaimed)
        }
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let response = try await client.execute(uri: "/api/admin/queue", method: .get, headers: [.adminKey: "admin-key-0123456789"])
            #expect(response.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/admin/queue", response)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
            #expect(body["pending"] as? Int == 1 && body["dead_letters"] as? Int == 1, "\(body)")
            #expect((body["recent_dead_letters"] as? [[String: Any]])?.first?["job_id"] as? String == doomed.id)
            #expect((body["oldest_pending_seconds"] as? Double ?? -1) >= 0)
            #expect(try await client.execute(uri: "/api/admin/queue", method: .get).status == .unauthorized)
        }
    }
}
