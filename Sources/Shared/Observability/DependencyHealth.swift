import Foundation

/// The state of one dependency as `/api/status` reports it.
public struct DependencyStatus: Sendable, Codable, Equatable {
    public let name: String
    /// `ok` or `down`.
    public let status: String
    /// Why it is down (or what was checked), never a secret.
    public let detail: String
    public let latencyMs: Double

    public var isOK: Bool { status == "ok" }

    enum CodingKeys: String, CodingKey {
        case name, status, detail
        case latencyMs = "latency_ms"
    }
}

/// Real pings of Redis, Postgres and storage, each bounded so the report comes back even when
/// every dependency hangs.
public enum DependencyHealth {
    public static func check(_ clients: SystemClients, budget: Duration = .seconds(3)) async -> [DependencyStatus] {
        async let redis = probe("redis", detail: "PING \(clients.redis.settings.endpoint)", budget: budget) { try await clients.redis.ping() }
        async let postgres = probe("postgres", detail: "SELECT 1 on \(clients.postgres.settings.endpointDescription)", budget: budget) {
            try await clients.postgres.ping()
        }
        async let storage = probe("storage", detail: "reachable and writable: \(clients.storage.location)", budget: budget) { try await clients.storage.ping() }
        return await [redis, postgres, storage]
    }

    static func probe(_ name: String, detail: String, budget: Duration, _ check: @escaping @Sendable () async throws -> Void) async -> DependencyStatus {
        let start = ContinuousClock.now
        let failure: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do { try await check(); return nil } catch { return "\(error)" }
            }
            group.addTask {
                try? await Task.sleep(for: budget)
                return "no answer within \(budget)"
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        let elapsed = start.duration(to: .now)
        let milliseconds = (elapsed.milliseconds * 10).rounded() / 10
        return DependencyStatus(name: name, status: failure == nil ? "ok" : "down", detail: failure ?? detail, latencyMs: milliseconds)
    }
}
