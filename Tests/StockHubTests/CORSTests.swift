import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// `CORS_ORIGINS`: listed origins may call the API from a browser, others get no CORS headers.
@Suite("CORS from CORS_ORIGINS")
struct CORSTests {
    static let origin = HTTPField.Name("Origin")!
    static let requestMethod = HTTPField.Name("Access-Control-Request-Method")!

    @Test func aListedOriginIsAllowedAndAnUnlistedOneIsNot() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["CORS_ORIGINS": "https://app.example.com,https://admin.example.com"])
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            // A preflight from a listed origin is answered before routing.
            let preflight = try await client.execute(uri: "/api/predictions/MSFT", method: .options,
                                                     headers: [Self.origin: "https://admin.example.com", Self.requestMethod: "GET"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://admin.example.com")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            #expect(preflight.headers[.vary] == "Origin")

            // An answer, and an error answer, carry the allow header and expose the job headers.
            let health = try await client.execute(uri: "/health", method: .get, headers: [Self.origin: "https://app.example.com"])
            #expect(health.headers[.accessControlAllowOrigin] == "https://app.example.com")
            #expect(health.headers[.accessControlExposeHeaders]?.contains("Location") == true)
            let missing = try await client.execute(uri: "/nope", method: .get, headers: [Self.origin: "https://app.example.com"])
            #expect(missing.status == .notFound && missing.headers[.accessControlAllowOrigin] == "https://app.example.com")

            // Anyone else: no CORS headers, and a preflight is not answered as allowed.
            let stranger = try await client.execute(uri: "/health", method: .get, headers: [Self.origin: "https://evil.example.com"])
            #expect(stranger.status == .ok && stranger.headers[.accessControlAllowOrigin] == nil)
            let strangerPreflight = try await client.execute(uri: "/health", method: .options,
                                                             headers: [Self.origin: "https://evil.example.com", Self.requestMethod: "GET"])
            #expect(strangerPreflight.headers[.accessControlAllowOrigin] == nil && strangerPreflight.status != .noContent)
        }
    }

    @Test func withoutTheSettingNoOriginGetsCORSHeadersAndAStarAllowsAll() async throws {
        let closed = try await WebAPIRouteTests.liveDependencies()
        try await buildApplication(closed, logger: Logger(label: "test")).test(.router) { client in
            let answer = try await client.execute(uri: "/health", method: .get, headers: [Self.origin: "https://app.example.com"])
            #expect(answer.headers[.accessControlAllowOrigin] == nil)
        }
        let open = try await WebAPIRouteTests.liveDependencies(["CORS_ORIGINS": "*"])
        try await buildApplication(open, logger: Logger(label: "test")).test(.router) { client in
            let answer = try await client.execute(uri: "/health", method: .get, headers: [Self.origin: "https://anywhere.example"])
            #expect(answer.headers[.accessControlAllowOrigin] == "*")
        }
    }
}
