import Foundation
import Synchronization

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
    public static func check(_ clients: SystemClients, budget: Duration) async -> [DependencyStatus] {
        async let redis = probe("redis", detail: "PING \(clients.redis.settings.endpoint)", budget: budget) { try await clients.redis.ping() }
        async let postgres = probe("postgres", detail: "SELECT 1 on \(clients.postgres.settings.endpointDescription)", budget: budget) {
            try await clients.postgres.ping()
        }
        async let storage = probe("storage", detail: "reachable and writable: \(clients.storage.location)", budget: budget) { try await clients.storage.ping() }
        return await [redis, postgres, storage]
    }

    static func probe(_ name: String, detail: String, budget: Duration, _ check: @escaping @Sendable () async throws -> Void) async -> DependencyStatus {
        let start = ContinuousClock.now
        let failure = await firstOf(budget: budget, check)
        let elapsed = start.duration(to: .now)
        let milliseconds = (elapsed.milliseconds * 10).rounded() / 10
        return DependencyStatus(name: name, status: failure == nil ? "ok" : "down", detail: failure ?? detail, latencyMs: milliseconds)
    }

    /// nil when `check` succeeds within `budget`, else why not. Not a task group: a group waits
    /// for all its children, and a check blocked in a C call (a connect on a dedicated thread)
    /// ignores cancellation, so the budget would not bound anything. A check past its budget
    /// runs on and its answer is dropped.
    static func firstOf(budget: Duration, _ check: @escaping @Sendable () async throws -> Void) async -> String? {
        let answered = Mutex(false)
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let answer: @Sendable (String?) -> Void = { failure in
                if answered.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: failure) }
            }
            let timer = Task {
                do { try await Task.sleep(for: budget) } catch { return }
                answer("no answer within \(budget)")
            }
            Task {
                do { try await check(); answer(nil) } catch { answer("\(error)") }
                timer.cancel()
            }
        }
    }
}
