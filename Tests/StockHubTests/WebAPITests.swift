import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Synchronization
import Testing
@testable import WebAPI

@Suite("WebAPI routes and conventions")
struct WebAPIRouteTests {
    let contract: OpenAPIContract

    init() throws { contract = try OpenAPIContract.load() }

    /// The app wired to the real services the test command started.
    static func liveDependencies(_ overrides: [String: String] = [:]) async throws -> AppDependencies {
        let settings = try Settings(environment: TestServices.environment().merging(["PORT": "0", "BCRYPT_COST": "10"].merging(overrides) { $1 }) { $1 })
        return await AppDependencies.make(settings: settings, clients: SystemClients(settings: settings, applicationName: "stockhub-tests"),
                                          logger: Logger(label: "test"))
    }

    /// The same app with every dependency pointing at a closed port.
    static func deadDependencies() async throws -> AppDependencies {
        let port = try freePort()
        let settings = try Settings(environment: [
            "PORT": "0", "REDIS_URL": "redis://127.0.0.1:\(port)/0", "DATABASE_URL": "postgres://x:y@127.0.0.1:\(port)/none",
            "BCRYPT_COST": "10", "STORAGE_URL": "s3://nowhere", "S3_ENDPOINT": "http://127.0.0.1:\(port)", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s",
        ])
        return await AppDependencies.make(settings: settings, clients: SystemClients(settings: settings, applicationName: "stockhub-tests"),
                                          logger: Logger(label: "test"))
    }

    static func checkContract(_ contract: OpenAPIContract, _ method: String, _ path: String, _ response: TestResponse) {
        let problems = contract.violations(method: method, path: path, status: Int(response.status.code),
                                           contentType: response.headers[.contentType], body: Data(buffer: response.body))
        #expect(problems.isEmpty, "\(method) \(path): \(problems)")
    }

    func checkContract(_ method: String, _ path: String, _ response: TestResponse, documentedPath: String? = nil) {
        let problems = contract.violations(method: method, path: documentedPath ?? path, status: Int(response.status.code),
                                           contentType: response.headers[.contentType], body: Data(buffer: response.body))
        #expect(problems.isEmpty, "\(method) \(path): \(problems)")
    }

    @Test func everyRegisteredRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let (_, routes) = buildRouter(try await Self.liveDependencies())
        let registered = Set(routes.map { "\($0.method) \($0.path)" })
        #expect(registered.subtracting(contract.operations).isEmpty, "undocumented: \(registered.subtracting(contract.operations).sorted())")
        #expect(contract.operations.subtracting(registered).isEmpty, "documented but not served: \(contract.operations.subtracting(registered).sorted())")
        // Who may call a route is documented too: protected routes list their security schemes.
        for route in routes {
            let schemes = contract.securitySchemes(method: route.method, path: route.path)
            switch route.access {
            case .everyone: #expect(schemes.isEmpty, "\(route.method) \(route.path) is public but documents \(schemes)")
            case .user: #expect(schemes == ["bearerAuth"], "\(route.method) \(route.path): \(schemes)")
            case .admin: #expect(schemes == ["adminKey", "bearerAuth"], "\(route.method) \(route.path): \(schemes)")
            }
        }
    }

    @Test func healthAndStatusReportRealDependencies() async throws {
        let app = buildApplication(try await Self.liveDependencies(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            checkContract("GET", "/health", health)

            // Every probe must answer within DEPENDENCY_CHECK_SECONDS, 60 s in the tests.
            let status = try await client.execute(uri: "/api/status", method: .get)
            let text = String(buffer: status.body)
            #expect(status.status == .ok, "\(text)")
            checkContract("GET", "/api/status", status)
            for name in ["redis", "postgres", "storage"] { #expect(text.contains("\"\(name)\":{"), "\(text)") }
            #expect(!text.contains(try TestServices.variable("S3_SECRET_ACCESS_KEY")))

            let spec = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(spec.status == .ok)
            #expect(String(buffer: spec.body).hasPrefix("openapi: 3.1"))
            checkContract("GET", "/openapi.yaml", spec)

            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            checkContract("GET", "/", page)
        }
    }

    @Test func statusAnswersWhenEveryDependencyIsDown() async throws {
        let app = buildApplication(try await Self.deadDependencies(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let status = try await client.execute(uri: "/api/status", method: .get)
            #expect(status.status == .serviceUnavailable)
            checkContract("GET", "/api/status", status)
            let body = try JSONDecoder().decode(StatusBody.self, from: Data(buffer: status.body))
            #expect(body.status == "degraded")
            #expect(body.dependencies.values.allSatisfy { $0.status == "down" && !$0.detail.isEmpty })
            #expect(!String(buffer: status.body).contains("\"s\""))  // the secret "s" never appears as a value
        }
    }

    /// A check stuck in a call that ignores cancellation (a connect blocked on its own thread)
    /// still yields "down" at the budget: the report never waits for it.
    @Test func aProbeThatIgnoresCancellationIsReportedDownWithoutWaitingForIt() async throws {
        let stuck = Mutex<CheckedContinuation<Void, Never>?>(nil)
        // The check can only finish after the report is back (it is resumed below), so getting
        // a report at all shows the probe did not wait for it; the reason names the budget.
        let status = await DependencyHealth.probe("stuck", detail: "never answers", budget: .milliseconds(200)) {
            await withCheckedContinuation { continuation in stuck.withLock { $0 = continuation } }
        }
        #expect(status.status == "down" && status.detail == "no answer within \(Duration.milliseconds(200))", "\(status)")
        // Only now may the check finish; its late answer is dropped.
        try await waitFor("the stuck check to start") { stuck.withLock { $0 != nil } }
        stuck.withLock { $0?.resume() }
    }

    struct StatusBody: Decodable {
        let status: String
        let dependencies: [String: DependencyStatus]
    }

    @Test func errorsAreProblemDocumentsWithTheRequestID() async throws {
        let app = buildApplication(try await Self.liveDependencies(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let missing = try await client.execute(uri: "/no/such/route", method: .get, headers: [.requestID: "trace-42"])
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
            #expect(missing.headers[.requestID] == "trace-42")
            let problem = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: missing.body))
            #expect(contract.validate(problem, against: ["$ref": "#/components/schemas/Problem"], at: "$").isEmpty)
            let document = try JSONDecoder().decode(ProblemDocument.self, from: Data(buffer: missing.body))
            #expect(document.status == 404 && document.requestID == "trace-42" && document.instance == "/no/such/route")

            // A wrong method on a known path is a problem too.
            let wrongMethod = try await client.execute(uri: "/health", method: .delete)
            #expect(wrongMethod.status.code >= 400)
            #expect(wrongMethod.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func requestIDIsGeneratedWhenAbsentOrUnsafe() async throws {
        let app = buildApplication(try await Self.liveDependencies(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let plain = try await client.execute(uri: "/health", method: .get)
            let generated = try #require(plain.headers[.requestID])
            #expect(UUID(uuidString: generated) != nil)
            let unsafe = try await client.execute(uri: "/health", method: .get, headers: [.requestID: "has space"])
            #expect(unsafe.headers[.requestID] != "has space")
            let long = try await client.execute(uri: "/health", method: .get, headers: [.requestID: String(repeating: "a", count: 129)])
            #expect(long.headers[.requestID]?.count == 36)
        }
    }

    @Test func unexpectedErrorsBecomeOpaque500Problems() {
        struct Secret: Error { let password = "hunter2" }
        let problem = APIError.from(Secret(), requestID: "r1")
        #expect(problem.status == .internalServerError)
        #expect(!problem.detail.contains("hunter2") && problem.detail.contains("r1"))
        let validation = APIError.badRequest(field: "symbol", "must be 1-10 of A-Z 0-9 . -")
        let response = validation.response(path: "/api/x", requestID: "r2")
        #expect(response.status == .badRequest)
        #expect(response.headers[.contentType] == "application/problem+json")
    }
}

/// The real executables, started as a Procfile would start them.
@Suite("Executables start and stop properly")
struct ExecutableTests {
    func environment(port: Int) throws -> [String: String] {
        var environment = TestServices.environment()
        environment["PORT"] = String(port)
        environment["HOST"] = "127.0.0.1"
        return environment
    }

    func waitForHTTP(_ url: String, child: ChildProcess) async throws -> HTTPClientResponse {
        let http = HTTPClient(settings: HTTPClientSettings(connectTimeout: .seconds(1), timeout: .seconds(30), retry: .none))
        var answer: HTTPClientResponse?
        let answered = try await waitUntil(every: .milliseconds(100)) {
            guard child.isRunning else { throw TestSetupError("process exited early:\n\(child.output)") }
            answer = try? await http.send(HTTPClientRequest(url: url))
            return answer != nil
        }
        guard answered, let answer else { throw TestSetupError("\(url) never answered within \(Patience.generous):\n\(child.output)") }
        return answer
    }

    @Test func webAPIServesHealthAndStatusThenExitsZeroOnSIGTERM() async throws {
        let port = try freePort()
        let web = try ChildProcess(try BuiltProducts.path("WebAPI"), environment: try environment(port: port))
        let health = try await waitForHTTP("http://127.0.0.1:\(port)/health", child: web)
        #expect(health.status == 200)
        #expect(health.header("x-request-id") != nil)

        // Its probes may take up to DEPENDENCY_CHECK_SECONDS (60 s in the tests) on a loaded machine.
        let status = try await HTTPClient(settings: HTTPClientSettings(timeout: .seconds(90), retry: .none))
            .send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/status"))
        #expect(status.status == 200, "\(status.bodyText)")
        for name in ["redis", "postgres", "storage"] {
            #expect(status.bodyText.contains("\"\(name)\":{\"detail\""), "\(status.bodyText)")
        }
        web.signal(SIGTERM)
        let exit = await web.waitForExit(limit: Patience.generous)
        #expect(exit == 0, "output:\n\(web.output)")
        // The log line of a request carries its id.
        if let id = health.header("x-request-id") { #expect(web.output.contains(id)) }
        #expect(!web.output.contains(try TestServices.variable("S3_SECRET_ACCESS_KEY")), "a secret was logged")
    }

    @Test(arguments: [["Worker"], ["Trainer", "schedule"]])
    func backgroundProcessesLogTheirConfigurationAndExitZeroOnSIGTERM(_ command: [String]) async throws {
        var environment = try environment(port: try freePort())
        environment["REDIS_NAMESPACE"] = uniqueName("test-idle")
        let child = try ChildProcess(try BuiltProducts.path(command[0]), Array(command.dropFirst()), environment: environment)
        let ready = command[0] == "Worker" ? "Worker consuming" : "training schedule"
        // The dependency report runs beside the services, so wait for both.
        func reported(_ output: String) -> Bool {
            output.contains(ready) && output.components(separatedBy: "dependency ").count - 1 >= 3
        }
        let done = try await waitUntil { reported(child.output) || !child.isRunning }
        let output = child.output
        #expect(done && child.isRunning, "no dependency report within \(Patience.generous): \(output)")
        #expect(output.contains("starting"), "\(output)")
        #expect(output.contains("dependency ok"), "\(output)")
        #expect(!output.contains("dependency down"), "\(output)")
        #expect(!output.contains(try TestServices.variable("S3_SECRET_ACCESS_KEY")), "a secret was logged")
        child.signal(SIGTERM)
        #expect(await child.waitForExit(limit: Patience.generous) == 0, "\(child.output)")
    }

    /// A SIGTERM while the start-up checks wait on a dependency that never answers (a port that
    /// accepts connections and never speaks) is a graceful stop, not death by the signal.
    @Test(arguments: [["Worker"], ["Trainer", "schedule"]])
    func sigtermWhileADependencyHangsAtStartExitsZero(_ command: [String]) async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        var environment = try environment(port: try freePort())
        environment["REDIS_NAMESPACE"] = uniqueName("test-hang")
        environment["DATABASE_URL"] = "postgres://x:y@127.0.0.1:\(silent.port)/none"
        environment["DEPENDENCY_CHECK_SECONDS"] = "3"  // the report ends on its own soon after the stop
        let child = try ChildProcess(try BuiltProducts.path(command[0]), Array(command.dropFirst()), environment: environment)
        let checking = try await waitUntil { child.output.contains("checking dependencies") || !child.isRunning }
        #expect(checking && child.output.contains("checking dependencies"), "\(child.output)")
        // Normally the Postgres check is still waiting here (it gives up after 3 s); on a loaded
        // machine it may be done already, and the stop is graceful either way. Before the report
        // ran inside the service group, this exited 143 (by the signal).
        child.signal(SIGTERM)
        #expect(await child.waitForExit(limit: Patience.generous) == 0, "\(child.output)")
    }

    @Test func migrateSubcommandAppliesTheSchemaAndExitsZero() async throws {
        let (status, output) = try await ChildProcess.run(try BuiltProducts.path("WebAPI"), ["migrate"], environment: try environment(port: 0))
        #expect(status == 0, "\(output)")
        #expect(output.contains("migrations applied"))
    }
}
