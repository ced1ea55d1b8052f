import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Shared
import Synchronization
import Testing

/// The libcurl client against a real HTTP server on a real socket (a small Hummingbird app
/// whose routes misbehave on purpose).
@Suite("HTTP client over libcurl")
struct HTTPClientTests {
    final class Counters: Sendable {
        let hits = Mutex<[String: Int]>([:])
        func next(_ name: String) -> Int { hits.withLock { $0[name, default: 0] += 1; return $0[name]! } }
        func count(_ name: String) -> Int { hits.withLock { $0[name, default: 0] } }
    }

    static func misbehavingServer(_ counters: Counters) -> some ApplicationProtocol {
        let router = Router()
        router.get("/ok") { _, _ in "fine" }
        router.put("/echo") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: HTTPFields = [.contentType: "application/octet-stream"]
            headers[HTTPField.Name("X-Method")!] = request.method.rawValue
            headers[HTTPField.Name("X-Got-Type")!] = request.headers[.contentType] ?? "none"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        router.get("/flaky/:id") { _, context -> Response in
            // Fails twice with 503, then succeeds.
            let attempt = counters.next(context.parameters.get("id")!)
            return Response(status: attempt <= 2 ? .serviceUnavailable : .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "attempt \(attempt)")))
        }
        router.get("/always-500/:id") { _, context -> Response in
            _ = counters.next(context.parameters.get("id")!)
            return Response(status: .internalServerError)
        }
        router.get("/rate-limited/:id") { _, context -> Response in
            let attempt = counters.next(context.parameters.get("id")!)
            guard attempt > 1 else { return Response(status: .tooManyRequests, headers: [.retryAfter: "1"]) }
            return Response(status: .ok)
        }
        router.get("/retry-much-later/:id") { _, context -> Response in
            _ = counters.next(context.parameters.get("id")!)
            return Response(status: .tooManyRequests, headers: [.retryAfter: "3600"])
        }
        router.post("/post-503/:id") { _, context -> Response in
            _ = counters.next(context.parameters.get("id")!)
            return Response(status: .serviceUnavailable)
        }
        router.get("/big") { _, _ in String(repeating: "x", count: 200_000) }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(3))
            return "late"
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    func withServer(_ body: @escaping @Sendable (String, Counters) async throws -> Void) async throws {
        let counters = Counters()
        try await Self.misbehavingServer(counters).test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)", counters)
        }
    }

    let fastRetry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(20), maxDelay: .milliseconds(100), maxRetryAfter: .seconds(2))

    @Test func bodiesAndHeadersRoundTrip() async throws {
        try await withServer { base, _ in
            let http = HTTPClient()
            let payload: [UInt8] = Array((0..<70_000).map { UInt8($0 % 251) })
            let response = try await http.send(HTTPClientRequest(method: "PUT", url: base + "/echo",
                                                                 headers: [HTTPHeader("Content-Type", "application/x-test")], body: payload))
            #expect(response.status == 200)
            #expect(response.body == payload)
            #expect(response.header("x-method") == "PUT")
            #expect(response.header("X-Got-Type") == "application/x-test")
            #expect(response.attempts == 1)
        }
    }

    @Test func serverErrorsAreRetriedUntilTheAttemptsRunOut() async throws {
        try await withServer { base, counters in
            let http = HTTPClient(settings: HTTPClientSettings(retry: fastRetry))
            let response = try await http.send(HTTPClientRequest(url: base + "/flaky/a"))
            #expect(response.status == 200)
            #expect(response.bodyText == "attempt 3")
            #expect(response.attempts == 3)

            // When every attempt fails the last response comes back as it is.
            let failing = try await http.send(HTTPClientRequest(url: base + "/always-500/b"))
            #expect(failing.status == 500)
            #expect(counters.count("b") == 3)
        }
    }

    @Test func retryAfterIsHonouredOrRefusedWhenTooLong() async throws {
        try await withServer { base, counters in
            let http = HTTPClient(settings: HTTPClientSettings(retry: fastRetry))
            let started = ContinuousClock.now
            let response = try await http.send(HTTPClientRequest(url: base + "/rate-limited/c"))
            #expect(response.status == 200)
            #expect(started.duration(to: .now) >= .milliseconds(900))  // waited the server's 1 s

            let later = try await http.send(HTTPClientRequest(url: base + "/retry-much-later/d"))
            #expect(later.status == 429)
            #expect(counters.count("d") == 1)  // an hour is longer than we wait: no retry
        }
    }

    @Test func nonIdempotentRequestsAreNotRetried() async throws {
        try await withServer { base, counters in
            let http = HTTPClient(settings: HTTPClientSettings(retry: fastRetry))
            let response = try await http.send(HTTPClientRequest(method: "POST", url: base + "/post-503/e", body: Array("x".utf8)))
            #expect(response.status == 503)
            #expect(counters.count("e") == 1)
        }
    }

    @Test func responseSizeIsCapped() async throws {
        try await withServer { base, _ in
            let http = HTTPClient(settings: HTTPClientSettings(maxResponseBytes: 100_000))
            await #expect(throws: HTTPClientError.responseTooLarge(method: "GET", url: base + "/big", limit: 100_000)) {
                try await http.send(HTTPClientRequest(url: base + "/big"))
            }
            let small = try await http.send(HTTPClientRequest(url: base + "/ok"))
            #expect(small.bodyText == "fine")
        }
    }

    @Test func slowResponseTimesOut() async throws {
        try await withServer { base, _ in
            let http = HTTPClient(settings: HTTPClientSettings(timeout: .milliseconds(500), retry: fastRetry))
            await #expect {
                try await http.send(HTTPClientRequest(url: base + "/slow"))
            } throws: { error in
                guard case HTTPClientError.timedOut(_, _, _, let attempts) = error else { return false }
                return attempts == 1  // a transfer that timed out is not sent again
            }
        }
    }

    @Test func refusedConnectionIsRetriedThenReported() async throws {
        let port = try freePort()
        let http = HTTPClient(settings: HTTPClientSettings(retry: fastRetry))
        await #expect {
            try await http.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/x"))
        } throws: { error in
            guard case HTTPClientError.connectionFailed(_, _, let reason, let attempts) = error else { return false }
            return attempts == 3 && !reason.isEmpty
        }
    }

    @Test func onlyHTTPURLsAreAccepted() async throws {
        let http = HTTPClient()
        await #expect {
            try await http.send(HTTPClientRequest(url: "file:///etc/passwd"))
        } throws: { error in
            if case HTTPClientError.invalidRequest = error { return true }
            return false
        }
    }

    @Test func retryAfterParsesSecondsAndDates() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryPolicy.retryAfter("120", now: now) == .seconds(120))
        #expect(RetryPolicy.retryAfter("Tue, 14 Nov 2023 22:14:20 GMT", now: now) == .seconds(60))
        #expect(RetryPolicy.retryAfter("soon", now: now) == nil)
    }

    /// Full jitter under an exponential ceiling: after attempt n the wait is uniform in
    /// [0, min(maxDelay, baseDelay·2ⁿ⁻¹)]. 400 draws per attempt: every one under its ceiling,
    /// the largest above 90% of it and the mean near half of it (a fixed or unjittered delay,
    /// or one that does not grow, fails; by chance only with probability below 1e-15).
    @Test func backoffDoublesItsCeilingUpToTheMaximumWithFullJitter() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(400))
        for (attempt, ceiling) in [(1, 100.0), (2, 200.0), (3, 400.0), (4, 400.0), (6, 400.0)] {
            let draws = (0..<400).map { _ in
                let delay = policy.backoff(afterAttempt: attempt)
                return Double(delay.components.seconds) * 1000 + Double(delay.components.attoseconds) / 1e15
            }
            #expect(draws.allSatisfy { $0 >= 0 && $0 <= ceiling }, "attempt \(attempt): \(draws.max()!) over \(ceiling)")
            #expect(draws.max()! > 0.9 * ceiling, "attempt \(attempt): largest \(draws.max()!) of \(ceiling)")
            let mean = draws.reduce(0, +) / Double(draws.count)
            #expect(abs(mean - ceiling / 2) < 0.1 * ceiling, "attempt \(attempt): mean \(mean), ceiling \(ceiling)")
        }
    }
}
