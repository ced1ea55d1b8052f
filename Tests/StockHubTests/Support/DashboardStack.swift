import Foundation
import Shared

/// A real WebAPI and a real Worker on the private Redis/Postgres, with their own Redis
/// namespace (so the forecast is not already cached) and an empty artifact folder (so the
/// Worker fits the models and the job runs long enough to be watched).
final class DashboardStack: @unchecked Sendable {
    let web: ChildProcess
    let worker: ChildProcess
    let base: String
    let artifacts: URL
    let environment: [String: String]
    let http = HTTPClient(settings: HTTPClientSettings(connectTimeout: .seconds(5), timeout: .seconds(120), retry: .none))

    static func start() async throws -> DashboardStack {
        let port = try freePort()
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("dashboard-artifacts"))
        var environment = TestServices.environment()
        environment.merge([
            "REDIS_NAMESPACE": uniqueName("test-dashboard"), "STORAGE_URL": "file://\(artifacts.path)",
            "MARKET_DATA_DIR": PredictionsTests.marketDataDirectory, "JWT_SECRET": AuthTests.secret,
            "BCRYPT_COST": "10", "HOST": "127.0.0.1", "PORT": String(port), "LOG_LEVEL": "info",
            "WORKER_CONCURRENCY": "1",
        ]) { $1 }
        // Unset vendor keys: the bundled files answer, as on a machine with no keys.
        environment["FINNHUB_API_KEY"] = nil
        environment["ALPHA_VANTAGE_API_KEY"] = nil
        let worker = try ChildProcess(try BuiltProducts.path("Worker"), environment: environment)
        let web = try ChildProcess(try BuiltProducts.path("WebAPI"), environment: environment)
        let stack = DashboardStack(web: web, worker: worker, base: "http://127.0.0.1:\(port)", artifacts: artifacts, environment: environment)
        // Start-up can take many seconds on a loaded machine: wait on what each process says.
        try await waitFor("the Worker to consume (output: \(worker.output.suffix(2000)))") {
            guard worker.isRunning else { throw TestSetupError("Worker exited: \(worker.output)") }
            return worker.output.contains("Worker consuming")
        }
        try await waitFor("WebAPI to answer /health (output: \(web.output.suffix(2000)))", every: .milliseconds(200)) {
            guard web.isRunning else { throw TestSetupError("WebAPI exited: \(web.output)") }
            return (try? await stack.http.send(HTTPClientRequest(url: "\(stack.base)/health")))?.status == 200
        }
        return stack
    }

    private init(web: ChildProcess, worker: ChildProcess, base: String, artifacts: URL, environment: [String: String]) {
        (self.web, self.worker, self.base, self.artifacts, self.environment) = (web, worker, base, artifacts, environment)
    }

    /// Makes an account an admin the way an operator does (there is no route for it).
    func promote(_ username: String) async throws {
        let (status, output) = try await ChildProcess.run(try BuiltProducts.path("WebAPI"), ["admin", "promote", username],
                                                         environment: environment, limit: Patience.generous)
        guard status == 0 else { throw TestSetupError("WebAPI admin promote \(username) exited \(status): \(output)") }
    }

    /// An API call with the browser's token, as the page makes it.
    func call(_ method: String, _ path: String, token: String, body: String? = nil, contentType: String? = nil) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(method: method, url: base + path, headers: [HTTPHeader("Authorization", "Bearer \(token)")])
        if let body {
            request.body = Array(body.utf8)
            request.headers.append(HTTPHeader("Content-Type", contentType ?? "application/json"))
        }
        return try await http.send(request)
    }

    func stop() async {
        for process in [web, worker] { process.signal(SIGTERM) }
        for process in [web, worker] where await process.waitForExit(limit: Patience.generous) == nil { process.signal(SIGKILL) }
        await http.shutdown()
        try? FileManager.default.removeItem(at: artifacts)
    }
}
