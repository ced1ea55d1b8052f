import Foundation
import Hummingbird
import Shared

/// Administration: accounts, the queue, training runs. Admin users' tokens or `X-Admin-Key` only.
struct AdminController {
    let users: UserRepository
    let queue: JobQueue
    let runs: TrainingRuns
    let settings: Settings

    func addRoutes(to routes: RouteTable) {
        routes.get("/api/admin/users", access: .admin) { request, _ in try await listUsers(request) }
        routes.get("/api/admin/queue", access: .admin) { _, _ in try await queueState() }
        routes.post("/api/admin/train", access: .admin) { request, _ in try await startTraining(request) }
        routes.get("/api/admin/train/:run", access: .admin) { _, context in try await trainingRun(context) }
    }

    struct TrainingStarted: Encodable {
        let runID: String
        let status: String
        let statusURL: String
        let symbols: [String]
        let invalid: [PredictionsController.PrecomputeResult.Invalid]
        enum CodingKeys: String, CodingKey {
            case status, symbols, invalid
            case runID = "run_id"
            case statusURL = "status_url"
        }
    }

    /// One train job per symbol for the workers; 202 with the run's address. Entries that are
    /// not symbols are reported and the rest proceed; symbols without data fail in the run.
    private func startTraining(_ request: Request) async throws -> Response {
        var symbols = try await settings.defaultTrainingSymbols()
        var invalid: [PredictionsController.PrecomputeResult.Invalid] = []
        if let listed = request.uri.queryParameters.get("symbols").map({ String($0) }) {
            let parsed = try PredictionsController.symbolList(listed)
            symbols = parsed.valid.map { $0.symbol }
            invalid = parsed.invalid
        }
        guard !symbols.isEmpty else { throw APIError.badRequest(field: "symbols", "No symbols to train: TRAIN_SYMBOLS is unset and MARKET_DATA_DIR has no CSVs.") }
        do {
            let run = try await runs.start(symbols: symbols, trigger: .admin)
            let location = "/api/admin/train/\(run.id)"
            return try JSONBody.response(
                TrainingStarted(runID: run.id, status: run.status.rawValue, statusURL: location, symbols: run.symbols.map { $0.symbol }, invalid: invalid),
                status: .accepted, headers: [.location: location, .retryAfter: "5"])
        } catch let error as RedisError {
            throw APIError.serviceUnavailable("The job queue cannot be reached (\(error)); try again shortly.", retryAfterSeconds: 10)
        }
    }

    private func trainingRun(_ context: AppRequestContext) async throws -> Response {
        let id = PathParameter.string(context, "run")
        guard UUID(uuidString: id) != nil else { throw APIError.badRequest(field: "run", "A run id is a UUID, got \"\(id.prefix(64))\".") }
        guard let run = try await runs.refresh(id.lowercased()) else {
            throw APIError.notFound("No training run \(id.prefix(64)) (runs are kept 90 days).")
        }
        return try JSONBody.response(run, headers: run.status == .running ? [.retryAfter: "5"] : [:])
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
