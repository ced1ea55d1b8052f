import Foundation
import Hummingbird
import Shared

/// Liveness, dependency status and the API contract.
struct SystemController {
    let clients: SystemClients
    let settings: Settings
    let startedAt: ContinuousClock.Instant
    let openAPI: OpenAPIDocument

    func addRoutes(to routes: RouteTable) {
        routes.get("/health") { _, _ in try JSONBody.response(Health(status: "ok")) }
        routes.get("/api/status") { _, _ in try await status() }
        routes.get("/openapi.yaml") { _, _ in try openAPI.response() }
    }

    struct Health: Codable { let status: String }

    struct Status: Codable {
        /// `ok` when every dependency is, else `degraded`.
        let status: String
        let version: String
        let environment: String
        let uptimeSeconds: Int
        let modelVersion: String
        let dependencies: [String: DependencyStatus]

        enum CodingKeys: String, CodingKey {
            case status, version, environment, dependencies
            case uptimeSeconds = "uptime_seconds"
            case modelVersion = "model_version"
        }
    }

    /// 200 when all dependencies answer, 503 otherwise, with the same body: monitors can alert on
    /// the status code and people can read why.
    private func status() async throws -> Response {
        let checks = await DependencyHealth.check(clients, budget: .seconds(settings.dependencyCheckSeconds))
        let healthy = checks.allSatisfy(\.isOK)
        let body = Status(
            status: healthy ? "ok" : "degraded",
            version: StockHubVersion.current,
            environment: settings.environment.rawValue,
            uptimeSeconds: Int(startedAt.duration(to: .now).components.seconds),
            modelVersion: settings.modelVersion,
            dependencies: Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0) }))
        return try JSONBody.response(body, status: healthy ? .ok : .serviceUnavailable)
    }
}

/// The API's contract, `openapi.yaml`, read once at start from the resources bundled with the binary.
struct OpenAPIDocument: Sendable {
    let text: String?

    static func load() -> OpenAPIDocument {
        OpenAPIDocument(text: candidates().lazy.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.first)
    }

    static func candidates() -> [URL] {
        // The bundle copies the file without its folder; a checkout has it under Resources/.
        [BundledResources.candidates("openapi.yaml")[0]] + BundledResources.candidates("Resources/openapi.yaml").dropFirst()
    }

    func response() throws -> Response {
        guard let text else {
            throw APIError(.serviceUnavailable, kind: "unavailable", title: "Contract not bundled",
                           detail: "openapi.yaml was not deployed beside the WebAPI binary (StockHub_WebAPI.resources).")
        }
        return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

enum StockHubVersion {
    static let current = "0.1.0"
}
