import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// Security headers on every answer the router makes, and the body limit before any route.
@Suite("Security headers and the body limit")
struct SecurityHeadersTests {
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    static func expectBaseline(_ response: TestResponse, _ label: String) {
        #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(label)")
        #expect(response.headers[frameOptions] == "DENY", "\(label)")
        #expect(response.headers[referrerPolicy] == "no-referrer", "\(label)")
    }

    @Test func answersErrorsPreflightsAndMissingRoutesCarryTheHeadersAndJSONGetsTheDefaultPolicy() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["CORS_ORIGINS": "https://app.example.com"])
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            let missing = try await client.execute(uri: "/nope", method: .get)
            let unauthorized = try await client.execute(uri: "/api/auth/me", method: .get)
            let preflight = try await client.execute(uri: "/api/predictions/MSFT", method: .options,
                                                     headers: [CORSTests.origin: "https://app.example.com", CORSTests.requestMethod: "GET"])
            for (label, response) in [("health", health), ("404", missing), ("401", unauthorized), ("preflight", preflight)] {
                Self.expectBaseline(response, label)
                #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'", "\(label)")
                // Not in development: HSTS would pin a developer's localhost to https.
                #expect(response.headers[.strictTransportSecurity] == nil, "\(label)")
            }
            #expect(missing.status == .notFound && unauthorized.status == .unauthorized && preflight.status == .noContent)
            // An HTML page chooses its own policy: the default is not forced onto it.
            let page = try await client.execute(uri: "/", method: .get)
            Self.expectBaseline(page, "dashboard")
            #expect(page.headers[.contentSecurityPolicy] != "default-src 'none'; frame-ancestors 'none'")
        }
    }

    @Test func productionAddsStrictTransportSecurity() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["APP_ENV": "production", "JWT_SECRET": AuthTests.secret])
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            for uri in ["/health", "/nope"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true, "\(uri)")
                Self.expectBaseline(response, uri)
            }
        }
    }

    @Test func aDeclaredBodyOverTheLimitIs413ProblemEvenWhereNoRouteReadsIt() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["MAX_BODY_BYTES": "2048"])
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.live) { client in
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)
            for (method, uri) in [(HTTPRequest.Method.get, "/health"), (.post, "/api/auth/login"), (.post, "/api/precompute"), (.post, "/nope")] {
                let response = try await client.execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: body)
                #expect(response.status == .contentTooLarge, "\(method) \(uri)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(method) \(uri)")
                #expect(String(buffer: response.body).contains("MAX_BODY_BYTES"), "\(method) \(uri)")
                Self.expectBaseline(response, "\(method) \(uri)")
            }
            // Within the limit the route answers as usual.
            let small = try await client.execute(uri: "/health", method: .get, body: ByteBuffer(repeating: 0x20, count: 100))
            #expect(small.status == .ok)
        }
    }
}
