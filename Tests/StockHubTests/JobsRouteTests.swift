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
        }
    }

    @Test func eventsStreamEveryChangeAndEndWhenTheJobEnds() async throws {
        let dependencies = try await Self.dependencies()
        let queue = dependencies.queue
        try await queue.prepare()
        let job = try await queue.enqueue(type: "ping", params: "{}")
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.live) { client in
            // A "worker" moves the job along once the stream is open.
            let worker = Task {
                try await Task.sleep(for: .milliseconds(500))
                let delivery = try await queue.fetch(consumer: "t", count: 1, block: .milliseconds(100))[0]
                _ = try await queue.start(delivery)
                // Each frame carries the record as re-read after the change, so a change that is
                // overtaken before the route reads it shows as the later state. Space them out
                // (CI once saw queued → done with no running frame when they came back to back).
                try await Task.sleep(for: .seconds(1))
                try await queue.report(job.id, progress: 0.5, stage: "halfway")
                try await Task.sleep(for: .seconds(1))
                try await queue.complete(delivery, result: #"{"pong":true}"#)
            }
            let response = try await client.execute(uri: "/api/jobs/\(job.id)/events", method: .get)
            try await worker.value
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let frames = String(buffer: response.body).components(separatedBy: "\n\n").filter { $0.hasPrefix("event: job") }
            let statuses = frames.compactMap { frame -> String? in
                guard let json = frame.split(separator: "\n").first(where: { $0.hasPrefix("data: ") })?.dropFirst(6),
                      let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
                return object["status"] as? String
            }
            #expect(statuses.first == "queued")
            #expect(statuses.last == "done")
            #expect(statuses.contains("running"))
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
