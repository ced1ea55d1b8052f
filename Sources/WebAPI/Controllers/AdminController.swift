import Foundation
import Hummingbird
import Shared

/// Administration of accounts. Admin users' tokens or `X-Admin-Key` only.
struct AdminController {
    let users: UserRepository
    let queue: JobQueue

    func addRoutes(to routes: RouteTable) {
        routes.get("/api/admin/users", access: .admin) { request, _ in try await listUsers(request) }
        routes.get("/api/admin/queue", access: .admin) { _, _ in try await queueState() }
    }

    struct QueueState: Encodable {
        struct DeadLetter: Encodable {
            let jobID: String
            let type: String
            let attempts: Int
            let error: String
            enum CodingKeys: String, CodingKey {
                case type, attempts, error
                case jobID = "job_id"
            }
        }
        /// Entries in the stream: waiting, or delivered and not yet acknowledged.
        let depth: Int
        let pending: Int
        let pendingByConsumer: [String: Int]
        let oldestPendingSeconds: Double?
        let delayed: Int
        let deadLetters: Int
        let recentDeadLetters: [DeadLetter]

        enum CodingKeys: String, CodingKey {
            case depth, pending, delayed
            case pendingByConsumer = "pending_by_consumer"
            case oldestPendingSeconds = "oldest_pending_seconds"
            case deadLetters = "dead_letters"
            case recentDeadLetters = "recent_dead_letters"
        }
    }

    private func queueState() async throws -> Response {
        let depth = try await queue.depth()
        let pending = try await queue.pendingSummary()
        let dead = try await queue.deadLetters(limit: 10)
        return try JSONBody.response(QueueState(
            depth: depth.stream, pending: depth.pending, pendingByConsumer: pending.byConsumer,
            oldestPendingSeconds: pending.oldestAge.map { ($0.milliseconds / 100).rounded() / 10 },
            delayed: depth.delayed, deadLetters: depth.deadLetters,
            recentDeadLetters: dead.map { QueueState.DeadLetter(jobID: $0.jobID, type: $0.type, attempts: $0.attempts, error: $0.error) }))
    }

    struct UserPage: Encodable {
        let users: [User]
        let limit: Int
        let offset: Int
    }

    /// Paging bounds, documented as the `limit` and `offset` parameters of `GET /api/admin/users`.
    static let defaultLimit = 50
    static let limitRange = 1...200
    static let offsetRange = 0...1_000_000

    private func listUsers(_ request: Request) async throws -> Response {
        let limit = try QueryParameter.integer(request, "limit", default: Self.defaultLimit, range: Self.limitRange)
        let offset = try QueryParameter.integer(request, "offset", default: 0, range: Self.offsetRange)
        return try JSONBody.response(UserPage(users: try await users.list(limit: limit, offset: offset), limit: limit, offset: offset))
    }
}
