import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// The in-process caches behind the hot routes: their bounds, their expiry, and that they
/// never accept what the uncached path would refuse.
@Suite("WebAPI: in-process caches")
struct WebAPICacheTests {
    @Test func entriesExpireAtTheirInstant() {
        let cache = ExpiringCache<String, Int>(maxEntries: 4)
        let start = ContinuousClock.now
        cache.insert(1, for: "a", expires: start + .seconds(2), now: start)
        #expect(cache.value(for: "a", now: start + .seconds(1)) == 1)
        #expect(cache.value(for: "a", now: start + .seconds(2)) == nil)
        #expect(cache.count == 0)
        // Already expired: not stored at all.
        cache.insert(2, for: "b", expires: start, now: start)
        #expect(cache.value(for: "b", now: start) == nil)
    }

    @Test func theCacheStaysWithinItsEntryAndCostBounds() {
        let start = ContinuousClock.now
        let cache = ExpiringCache<Int, Int>(maxEntries: 8, maxCost: 100)
        for key in 0..<1000 { cache.insert(key, for: key, expires: start + .seconds(60), cost: 1, now: start) }
        #expect(cache.count <= 8)
        #expect(cache.value(for: 999, now: start) == 999)  // the newest insert is always kept
        let bytes = ExpiringCache<Int, Int>(maxEntries: 1000, maxCost: 100)
        for key in 0..<50 { bytes.insert(key, for: key, expires: start + .seconds(60), cost: 30, now: start) }
        #expect(bytes.count <= 3)
        bytes.insert(-1, for: -1, expires: start + .seconds(60), cost: 101, now: start)
        #expect(bytes.value(for: -1, now: start) == nil)  // costlier than the whole cache
        // Expired entries are swept first, before anything live is evicted.
        let mixed = ExpiringCache<Int, Int>(maxEntries: 4)
        mixed.insert(0, for: 0, expires: start + .seconds(60), now: start)
        for key in 1..<4 { mixed.insert(key, for: key, expires: start + .seconds(1), now: start) }
        mixed.insert(9, for: 9, expires: start + .seconds(60), now: start + .seconds(5))
        #expect(mixed.value(for: 0, now: start + .seconds(5)) == 0 && mixed.value(for: 9, now: start + .seconds(5)) == 9)
    }

    @Test func aRememberedTokenStillExpiresAndOnlyTheExactStringHits() async throws {
        let tokens = await AccessTokens(secret: AuthTests.secret, lifetime: 600)
        let issued = try await tokens.issue(for: UUID())
        #expect(try await tokens.verify(issued.token) == issued.claims)
        #expect(try await tokens.verify(issued.token) == issued.claims)  // from the cache
        await #expect(throws: TokenRejection.expired) {
            try await tokens.verify(issued.token, now: issued.expiresAt.addingTimeInterval(31))
        }
        // A changed signature is a different string: verified (and refused) from scratch. The
        // signature's first character is changed, not its last: 43 base64url characters carry
        // 32 bytes, so the last one has 2 unused bits and A-D (say) can decode to the same bytes.
        let signatureStart = try #require(issued.token.lastIndex(of: ".")).utf16Offset(in: issued.token) + 1
        var characters = Array(issued.token)
        characters[signatureStart] = characters[signatureStart] == "A" ? "B" : "A"
        let tampered = String(characters)
        await #expect(throws: TokenRejection.self) { try await tokens.verify(tampered) }
    }

    @Test func cachedDocumentsAreServedAsStoredAndReReadAfterTheirTime() async throws {
        let namespace = uniqueName("webcache")
        var remembering = try await WebAPIRouteTests.liveDependencies(["REDIS_NAMESPACE": namespace, "JWT_SECRET": AuthTests.secret])
        remembering.localPredictionTTL = .seconds(3600)
        var forgetting = remembering
        forgetting.localPredictionTTL = .milliseconds(100)
        let key = RedisKeys(namespace: namespace).prediction(modelVersion: remembering.settings.modelVersion, symbol: "MSFT")
        let redis = remembering.clients.redis
        let first = #"{"symbol":"MSFT","model_version":"v1","note":"first"}"#
        let second = #"{"symbol":"MSFT","model_version":"v1","note":"second"}"#
        try await redis.command("SET", RedisArgument(key), RedisArgument(first), "EX", "3600")
        let headers: HTTPFields = [.authorization: "Bearer \(try await remembering.tokens.issue(for: UUID()).token)"]
        @Sendable func get(_ client: any TestClientProtocol) async throws -> (HTTPResponse.Status, String) {
            let response = try await client.execute(uri: "/api/predictions/MSFT", method: .get, headers: headers)
            return (response.status, String(buffer: response.body))
        }
        try await buildApplication(remembering, logger: Logger(label: "test")).test(.router) { client in
            #expect(try await get(client) == (.ok, first))
            // Replaced in Redis, still the stored bytes from this process's memory within its lifetime.
            try await redis.command("SET", RedisArgument(key), RedisArgument(second), "EX", "3600")
            #expect(try await get(client) == (.ok, first))
        }
        try await buildApplication(forgetting, logger: Logger(label: "test")).test(.router) { client in
            #expect(try await get(client) == (.ok, second))
            try await redis.command("DEL", RedisArgument(key))
            // Read from Redis again once the short lifetime has passed: the miss queues a job.
            try await waitFor("the in-memory copy to expire after 100 ms", every: .milliseconds(20)) { try await get(client).0 != .ok }
            #expect(try await get(client).0 == .accepted)
            // A miss is never remembered: the document is served as soon as Redis has it.
            try await redis.command("SET", RedisArgument(key), RedisArgument(first), "EX", "3600")
            #expect(try await get(client) == (.ok, first))
        }
    }
}

extension WebAPICacheTests {
    @Test func generatedRequestIDsAreVersion4UUIDs() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = RequestBoundaryMiddleware<AppRequestContext>.randomUUIDString()
            let parsed = UUID(uuidString: id)
            #expect(parsed != nil && id == id.lowercased(), "\(id)")
            #expect(id.count == 36 && Array(id)[14] == "4" && "89ab".contains(Array(id)[19]), "\(id)")
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }
}
