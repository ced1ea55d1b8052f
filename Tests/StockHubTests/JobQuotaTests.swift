import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// `JOB_QUOTA`: jobs a signed-in user may create per window; cached answers are free and
/// `X-Admin-Key` callers are exempt.
@Suite("Per-user job quota")
struct JobQuotaTests {
    @Test func aUserOverTheQuotaGets429WithRetryAfterWhileCachedAnswersAndOtherUsersPass() async throws {
        let namespace = uniqueName("quota")
        let dependencies = try await WebAPIRouteTests.liveDependencies([
            "REDIS_NAMESPACE": namespace, "JWT_SECRET": AuthTests.secret, "JOB_QUOTA": "2/hour",
            "ADMIN_API_KEY": "quota-admin-key-0123456789",
        ])
        let cachedKey = RedisKeys(namespace: namespace).prediction(modelVersion: dependencies.settings.modelVersion, symbol: "MSFT")
        try await dependencies.clients.redis.command("SET", RedisArgument(cachedKey), RedisArgument(#"{"symbol":"MSFT"}"#), "EX", "600")
        let user: HTTPFields = [.authorization: "Bearer \(try await dependencies.tokens.issue(for: UUID()).token)"]
        let other: HTTPFields = [.authorization: "Bearer \(try await dependencies.tokens.issue(for: UUID()).token)"]
        let contract = try OpenAPIContract.load()
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            // Cached answers do not count, however many.
            for _ in 0..<5 {
                #expect(try await client.execute(uri: "/api/predictions/MSFT", method: .get, headers: user).status == .ok)
            }
            // Two jobs pass; the third is refused with a problem and a wait.
            #expect(try await client.execute(uri: "/api/predictions/AAPL", method: .get, headers: user).status == .accepted)
            #expect(try await client.execute(uri: "/api/forecasts", method: .post, headers: user + [.contentType: "text/csv"],
                                              body: ByteBuffer(string: Self.csv)).status == .accepted)
            let refused = try await client.execute(uri: "/api/predictions/SPX", method: .get, headers: user)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.contentType] == "application/problem+json")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/predictions/{symbol}", refused)
            // Still free: a cached answer. Another user has a quota of their own.
            #expect(try await client.execute(uri: "/api/predictions/MSFT", method: .get, headers: user).status == .ok)
            #expect(try await client.execute(uri: "/api/predictions/SPX", method: .get, headers: other).status == .accepted)
            // The admin key is exempt.
            for _ in 0..<3 {
                let precompute = try await client.execute(uri: "/api/precompute?symbols=SPX", method: .post,
                                                          headers: [HTTPField.Name("X-Admin-Key")!: "quota-admin-key-0123456789"])
                #expect(precompute.status == .accepted)
            }
        }
    }

    @Test func theQuotaSettingIsCheckedAtStart() throws {
        #expect(try Settings(environment: ["JOB_QUOTA": "off"]).jobQuota.isEmpty)
        #expect(try Settings(environment: [:]).jobQuota == [RateLimit(count: 60, period: .seconds(60))])
        #expect(throws: ConfigError.self) { try Settings(environment: ["JOB_QUOTA": "sixty"]) }
        do { _ = try Settings(environment: ["JOB_QUOTA": "60/fortnight"]) } catch { #expect(error.variable == "JOB_QUOTA") }
    }

    static var csv: String { UploadFixture.csv(UploadFixture.synthetic(80)) }
}
