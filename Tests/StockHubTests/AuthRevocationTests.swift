import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// Revocations answered from memory (`RevocationWatcher`), and the per-request Redis check
/// whenever that memory cannot be trusted.
@Suite("Auth: revocations propagated by pub/sub, with a fallback")
struct AuthRevocationTests {
    static func waitUntilSynced(_ watcher: RevocationWatcher) async throws {
        try await waitFor("the revocation watcher to subscribe and load the index", every: .milliseconds(10)) { watcher.isSynced }
    }

    static func waitUntilUnsynced(_ watcher: RevocationWatcher) async throws {
        try await waitFor("the revocation watcher to notice its Redis is gone", every: .milliseconds(10)) { !watcher.isSynced }
    }

    /// Runs a watcher as a service for the duration of `body`.
    static func running<T: Sendable>(_ watcher: RevocationWatcher, _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    @Test func aLogoutOnOneInstanceIsRefusedAtOnceByAnotherSharingTheRedis() async throws {
        let first = try await WebAPIRouteTests.liveDependencies(["JWT_SECRET": AuthTests.secret])
        let second = try await WebAPIRouteTests.liveDependencies(["JWT_SECRET": AuthTests.secret])
        let token = try await first.tokens.issue(for: UUID()).token
        try await buildApplication(first, logger: Logger(label: "test")).test(.router) { a in
            try await buildApplication(second, logger: Logger(label: "test")).test(.router) { b in
                try await Self.waitUntilSynced(first.revocationWatcher)
                try await Self.waitUntilSynced(second.revocationWatcher)
                let headers: HTTPFields = [.authorization: "Bearer \(token)"]
                #expect(try await b.execute(uri: "/api/auth/verify", method: .get, headers: headers).status == .ok)
                #expect(try await a.execute(uri: "/api/auth/logout", method: .post, headers: headers).status == .noContent)
                // The very next request, to the other instance, answered from its memory.
                let refused = try await b.execute(uri: "/api/auth/verify", method: .get, headers: headers)
                #expect(refused.status == .unauthorized)
                #expect(try AuthTests.problem(refused).detail.contains("revoked"))
                #expect(second.revocationWatcher.isSynced)
                #expect(try await a.execute(uri: "/api/auth/verify", method: .get, headers: headers).status == .unauthorized)
            }
        }
    }

    @Test func aWatcherThatStartsLaterLoadsEarlierRevocationsFromTheIndex() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["JWT_SECRET": AuthTests.secret])
        let issued = try await dependencies.tokens.issue(for: UUID())
        let kept = try await dependencies.tokens.issue(for: UUID())
        // Revoked before the watcher below exists: no message will ever reach it.
        try await TokenRevocations(redis: dependencies.clients.redis, keys: dependencies.settings.redisKeys).revoke(issued.claims)
        let watcher = RevocationWatcher(endpoint: dependencies.settings.redis, keys: dependencies.settings.redisKeys, logger: Logger(label: "test"))
        try await Self.running(watcher) {
            try await Self.waitUntilSynced(watcher)
            // nil ("ask Redis") while a message of a parallel test is unread: wait for an answer.
            func answer(_ jti: String) async throws -> Bool {
                try await waitForValue("the watcher to know whether \(jti) is revoked", every: .milliseconds(5)) { watcher.lookup(jti) }
            }
            #expect(try await answer(issued.claims.jti.value) == true)
            #expect(try await answer(kept.claims.jti.value) == false)
        }
    }

    @Test func withoutASubscriptionEveryCheckAsksRedis() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["JWT_SECRET": AuthTests.secret])
        // The watcher's Redis is unreachable, so it never syncs; the revocation list's Redis works.
        let keys = dependencies.settings.redisKeys
        let watcher = RevocationWatcher(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:\(try freePort())/0"), keys: keys, logger: Logger(label: "test"))
        let revocations = TokenRevocations(redis: dependencies.clients.redis, keys: keys, watcher: watcher)
        let issued = try await dependencies.tokens.issue(for: UUID())
        try await Self.running(watcher) {
            #expect(!watcher.isSynced && watcher.lookup(issued.claims.jti.value) == nil)
            #expect(try await revocations.isRevoked(issued.claims) == false)
            // Revoked by another process whose message this one never gets: Redis still says so.
            try await dependencies.clients.redis.command("SET", RedisArgument(keys.revokedToken(issued.claims.jti.value)), "1", "EX", "60")
            #expect(try await revocations.isRevoked(issued.claims) == true)
        }
    }

    @Test func whenTheSubscriptionDropsChecksGoBackToRedisAndRecoverAfterwards() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let dependencies = try await WebAPIRouteTests.liveDependencies(["JWT_SECRET": AuthTests.secret, "REDIS_URL": server.url])
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            try await Self.waitUntilSynced(dependencies.revocationWatcher)
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            let before = try await client.execute(uri: "/api/auth/verify", method: .get, headers: headers)
            #expect(before.status == .ok)
            await server.kill()
            try await Self.waitUntilUnsynced(dependencies.revocationWatcher)
            // Memory is no longer trusted and Redis is gone: refuse with 503, never accept.
            let during = try await client.execute(uri: "/api/auth/verify", method: .get, headers: headers)
            #expect(during.status == .serviceUnavailable)
            #expect(during.headers[.retryAfter] == "5")
            try await server.start()
            try await Self.waitUntilSynced(dependencies.revocationWatcher)
            #expect(try await client.execute(uri: "/api/auth/verify", method: .get, headers: headers).status == .ok)
            #expect(try await client.execute(uri: "/api/auth/logout", method: .post, headers: headers).status == .noContent)
            #expect(try await client.execute(uri: "/api/auth/verify", method: .get, headers: headers).status == .unauthorized)
        }
        await server.kill()
    }
}
