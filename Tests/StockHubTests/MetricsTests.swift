import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// `GET /metrics` on the web API and on a real Worker's METRICS_PORT.
@Suite("Prometheus metrics")
struct MetricsTests {
    /// Prometheus text exposition, parsed strictly enough to catch a broken line: every sample is
    /// `name{labels} value`, and every sample's family has a HELP and a TYPE line.
    struct Exposition {
        struct Sample: Equatable {
            let name: String
            let labels: [String: String]
            let value: Double
        }
        var samples: [Sample] = []
        var types: [String: String] = [:]
        var helps: Set<String> = []

        init(_ text: String) throws {
            for line in text.split(separator: "\n").map(String.init) {
                if line.hasPrefix("# HELP ") {
                    helps.insert(String(line.dropFirst(7).prefix { $0 != " " }))
                } else if line.hasPrefix("# TYPE ") {
                    let parts = line.dropFirst(7).split(separator: " ")
                    try #require(parts.count == 2, "bad TYPE line: \(line)")
                    types[String(parts[0])] = String(parts[1])
                } else {
                    samples.append(try Self.sample(line))
                }
            }
        }

        static func sample(_ line: String) throws -> Sample {
            let pattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([-+0-9.eE]+|NaN|\+Inf|-Inf)$/
            let match = try #require(line.wholeMatch(of: pattern), "not a sample line: \(line)")
            var labels: [String: String] = [:]
            if let body = match.3 {
                for pair in body.split(separator: ",") {
                    let label = try #require(pair.wholeMatch(of: /([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/), "bad label in \(line)")
                    labels[String(label.1)] = String(label.2)
                }
            }
            return Sample(name: String(match.1), labels: labels, value: try #require(Double(String(match.4)), "bad value in \(line)"))
        }

        /// The family a sample belongs to (histogram samples carry a suffix).
        func family(of name: String) -> String {
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                let base = String(name.dropLast(suffix.count))
                if types[base] == "histogram" { return base }
            }
            return name
        }

        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { sample in sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value } }?.value
        }

        func checkEveryFamilyIsDescribed(sourceLocation: SourceLocation = #_sourceLocation) {
            for sample in samples {
                let family = family(of: sample.name)
                #expect(types[family] != nil && helps.contains(family), "\(sample.name) lacks HELP or TYPE", sourceLocation: sourceLocation)
            }
        }
    }

    static func scrape(_ client: any TestClientProtocol, headers: HTTPFields = [:]) async throws -> Exposition {
        let response = try await client.execute(uri: "/metrics", method: .get, headers: headers)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
        let exposition = try Exposition(String(buffer: response.body))
        exposition.checkEveryFamilyIsDescribed()
        return exposition
    }

    @Test func requestsAreCountedByRouteTemplateMethodAndTheStatusClassTheClientGot() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["REDIS_NAMESPACE": uniqueName("metrics")])
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            // given: a path-parameter route answered 404 (an APIError made into problem+json by the
            // boundary), a 400 and an unmatched path
            _ = try await client.execute(uri: "/api/jobs/no-such-job-xyz", method: .get)
            _ = try await client.execute(uri: "/api/jobs/no-such-job-xyz", method: .get)
            _ = try await client.execute(uri: "/definitely/not/a/route-abc", method: .get)
            _ = try await client.execute(uri: "/health", method: .get)
            // when
            let metrics = try await Self.scrape(client)
            // then
            let jobs = ["route": "/api/jobs/{id}", "method": "GET"]
            let jobStatuses = metrics.samples.filter { $0.name == "stockhub_http_requests_total" && $0.labels["route"] == "/api/jobs/{id}" }
            #expect(jobStatuses.map { $0.labels["status_class"] ?? "" }.allSatisfy { $0 == "4xx" }, "\(jobStatuses)")
            #expect(metrics.value("stockhub_http_requests_total", jobs.merging(["status_class": "4xx"]) { $1 }) == 2)
            #expect(metrics.value("stockhub_http_request_duration_seconds_count", jobs.merging(["status_class": "4xx"]) { $1 }) == 2)
            #expect(metrics.value("stockhub_http_requests_total", ["route": "unmatched", "status_class": "4xx"]) == 1)
            #expect(metrics.value("stockhub_http_requests_total", ["route": "/health", "status_class": "2xx"]) == 1)
            // No raw path or id ever becomes a label.
            #expect(!metrics.samples.contains { $0.labels.values.contains { $0.contains("no-such-job") || $0.contains("route-abc") } })
            #expect(metrics.types["stockhub_http_requests_in_flight"] == "gauge")
            // The scrape itself is in flight while it is answered.
            #expect(metrics.value("stockhub_http_requests_in_flight") == 1)
        }
    }

    @Test func aBadSymbolIsCountedAs4xxUnderItsTemplateAndNeverByName() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["REDIS_NAMESPACE": uniqueName("metrics"), "JWT_SECRET": AuthTests.secret])
        let auth: HTTPFields = [.authorization: "Bearer \(try await dependencies.tokens.issue(for: UUID()).token)"]
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let bad = try await client.execute(uri: "/api/predictions/BAD%24SYMBOL", method: .get, headers: auth)
            #expect(bad.status == .badRequest)
            let metrics = try await Self.scrape(client)
            #expect(metrics.value("stockhub_http_requests_total", ["route": "/api/predictions/{symbol}", "status_class": "4xx"]) == 1)
            #expect(!metrics.samples.contains { $0.labels.values.contains { $0.contains("SYMBOL") } })
        }
    }

    @Test func cacheHitsAndMissesMoveByKind() async throws {
        let namespace = uniqueName("metrics")
        var dependencies = try await WebAPIRouteTests.liveDependencies(["REDIS_NAMESPACE": namespace, "JWT_SECRET": AuthTests.secret])
        dependencies.localPredictionTTL = .milliseconds(1)
        let auth: HTTPFields = [.authorization: "Bearer \(try await dependencies.tokens.issue(for: UUID()).token)"]
        let key = RedisKeys(namespace: namespace).prediction(modelVersion: dependencies.settings.modelVersion, symbol: "MSFT")
        let redis = dependencies.clients.redis
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let before = try await Self.scrape(client)
            #expect(before.value("stockhub_cache_hits_total", ["kind": "prediction"]) == 0)
            #expect(before.value("stockhub_cache_misses_total", ["kind": "quote"]) == 0)
            // A prediction miss (a job is queued), then a hit once the document is in Redis.
            #expect(try await client.execute(uri: "/api/predictions/MSFT", method: .get, headers: auth).status == .accepted)
            try await redis.command("SET", RedisArgument(key), RedisArgument(#"{"symbol":"MSFT"}"#), "EX", "60")
            #expect(try await client.execute(uri: "/api/predictions/MSFT", method: .get, headers: auth).status == .ok)
            // A quote: the first asks the providers (miss), the second is served from Redis (hit).
            #expect(try await client.execute(uri: "/api/stock/MSFT", method: .get, headers: auth).status == .ok)
            #expect(try await client.execute(uri: "/api/stock/MSFT", method: .get, headers: auth).status == .ok)
            let after = try await Self.scrape(client)
            #expect(after.value("stockhub_cache_misses_total", ["kind": "prediction"]) == 1)
            #expect(after.value("stockhub_cache_hits_total", ["kind": "prediction"]) == 1)
            #expect(after.value("stockhub_cache_misses_total", ["kind": "quote"]) == 1)
            #expect(after.value("stockhub_cache_hits_total", ["kind": "quote"]) == 1)
            #expect(after.value("stockhub_provider_calls_total", ["provider": "file", "outcome": "ok"]).map { $0 >= 1 } == true,
                    "\(after.samples.filter { $0.name == "stockhub_provider_calls_total" })")
            #expect(after.value("stockhub_jobs_enqueued_total", ["type": "predict"]) == 1)
        }
    }

    @Test func queueGaugesAreReadFromRedisAtScrapeTime() async throws {
        let namespace = uniqueName("metrics")
        let dependencies = try await WebAPIRouteTests.liveDependencies(["REDIS_NAMESPACE": namespace])
        let queue = dependencies.queue, redis = dependencies.clients.redis
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            // given: 3 jobs, one of them delivered; 2 delayed retries; 1 dead letter
            try await queue.prepare()
            for index in 0..<3 { _ = try await queue.enqueue(type: "ping", params: #"{"echo": "\#(index)"}"#) }
            let delivered = try await queue.fetch(consumer: "metrics-test", count: 1, block: .milliseconds(100))
            #expect(delivered.count == 1)
            try await redis.command("ZADD", RedisArgument(queue.keys.delayed), "1", "a", "2", "b")
            try await redis.command("XADD", RedisArgument(queue.keys.deadLetters), "*", "job_id", "x")
            // when
            let metrics = try await Self.scrape(client)
            // then
            let expected = try await queue.gauges()
            #expect(metrics.value("stockhub_queue_depth") == Double(expected.depth))
            #expect(metrics.value("stockhub_queue_depth") == 3)
            #expect(metrics.value("stockhub_queue_pending") == 1)
            #expect(metrics.value("stockhub_queue_delayed") == 2)
            #expect(metrics.value("stockhub_queue_dead_letters") == 1)
            #expect((metrics.value("stockhub_queue_oldest_pending_age_seconds") ?? -1) >= 0)
            #expect(metrics.value("stockhub_queue_read_errors_total") == 0)
        }
    }

    @Test func aMetricsTokenIsRequiredWhenSet() async throws {
        let token = "metrics-token-0123456789"
        let dependencies = try await WebAPIRouteTests.liveDependencies(["METRICS_TOKEN": token])
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong-token-0123456789"]).status == .unauthorized)
            _ = try await Self.scrape(client, headers: [.authorization: "Bearer \(token)"])
        }
    }

    @Test func badMetricsSettingsStopTheProcessWithOneLine() {
        #expect(throws: ConfigError("METRICS_PORT", "expected a port number 1-65535, got \"http\"")) {
            try Settings(environment: ["METRICS_PORT": "http"])
        }
        #expect(throws: ConfigError.self) { try Settings(environment: ["METRICS_PORT": "70000"]) }
        #expect(throws: ConfigError.self) { try Settings(environment: ["METRICS_TOKEN": "short"]) }
        #expect((try? Settings(environment: ["METRICS_PORT": "9464"]))?.metricsPort == 9464)
    }

    @Test func aWorkerWithMetricsPortExposesJobCountersAfterRunningAJob() async throws {
        let namespace = uniqueName("metrics-worker")
        let redis = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 2))
        let queue = JobQueue(redis: redis, keys: RedisKeys.Queue(namespace: namespace))
        try await queue.prepare()
        let port = try freePort()
        var environment = TestServices.environment()
        environment.merge(["REDIS_NAMESPACE": namespace, "METRICS_PORT": "\(port)", "LOG_LEVEL": "info", "HOST": "127.0.0.1"]) { $1 }
        let worker = try ChildProcess(try BuiltProducts.path("Worker"), environment: environment)
        defer { worker.signal(SIGKILL) }
        let id = try await queue.enqueue(type: "ping", params: #"{"echo": "hi"}"#).id
        try await waitFor("the ping job to end") { try await queue.record(id)?.status == .done }
        let http = HTTPClient()
        let text = try await waitForValue("the worker's /metrics to count the job") { () -> String? in
            guard let response = try? await http.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")), response.status == 200,
                  response.bodyText.contains("stockhub_jobs_finished_total") else { return nil }
            return response.bodyText
        }
        let metrics = try Exposition(text)
        metrics.checkEveryFamilyIsDescribed()
        #expect(metrics.value("stockhub_jobs_started_total", ["type": "ping"]) == 1)
        #expect(metrics.value("stockhub_jobs_finished_total", ["type": "ping"]) == 1)
        #expect(metrics.value("stockhub_job_duration_seconds_count", ["type": "ping"]) == 1)
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(limit: Patience.generous) == 0, "\(worker.output)")
        await http.shutdown()
        await redis.shutdown()
    }
}
