import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// Forecasts: answered from the cache when fresh, otherwise computed by a worker (202 + job).
/// When Redis is down there is neither cache nor queue: the answer is 503 with Retry-After
/// (never a hang), a deliberate choice over computing inline in the web process.
struct PredictionsController {
    let queue: JobQueue
    let cache: PredictionCache
    let settings: Settings
    /// Cached documents as the bytes Redis holds, served as they are (no re-encoding): a hot
    /// symbol costs one Redis GET per `localTTL` per process instead of one per request.
    /// Only hits are kept (a miss must reach the queue), bounded in count and bytes.
    let documents = ExpiringCache<String, ByteBuffer>(maxEntries: 1024, maxCost: 64 << 20)
    let localTTL: Duration
    let quota: JobQuotaCheck
    let metrics: StockHubMetrics?

    static let maxPrecomputeSymbols = 50

    func addRoutes(to routes: RouteTable) {
        routes.get("/api/predictions/:symbol", access: .user) { _, context in try await prediction(context) }
        routes.post("/api/precompute", access: .admin) { request, context in try await precompute(request, context) }
    }

    struct Accepted: Encodable {
        let jobID: String
        let status: String
        let statusURL: String
        let deduplicated: Bool
        enum CodingKeys: String, CodingKey {
            case status, deduplicated
            case jobID = "job_id"
            case statusURL = "status_url"
        }
    }

    private func prediction(_ context: AppRequestContext) async throws -> Response {
        let request: PredictRequest
        do { request = try PredictRequest(symbol: PathParameter.string(context, "symbol")) } catch {
            throw APIError.badRequest(field: "symbol", "\(error).")
        }
        do {
            let cacheKey = cache.key(for: request.symbol)
            // A hit in this process's memory or in Redis is one hit: both answer without a job.
            if let document = documents.value(for: cacheKey) {
                metrics?.cacheLookup(kind: "prediction", hit: true)
                return Self.documentResponse(document)
            }
            if let cached = try await cache.document(for: request.symbol) {
                metrics?.cacheLookup(kind: "prediction", hit: true)
                let document = ByteBuffer(bytes: cached)
                documents.insert(document, for: cacheKey, expires: .now + localTTL, cost: document.readableBytes)
                return Self.documentResponse(document)
            }
            try await quota.charge(context.identity)
            metrics?.cacheLookup(kind: "prediction", hit: false)
            let job = try await enqueue(request)
            return try JSONBody.response(
                Accepted(jobID: job.id, status: "queued", statusURL: "/api/jobs/\(job.id)", deduplicated: job.deduplicated),
                status: .accepted, headers: [.location: "/api/jobs/\(job.id)", .retryAfter: "1"])
        } catch let error as RedisError {
            context.logger.error("predictions unavailable: \(error)")
            throw APIError.serviceUnavailable("Forecasts are unavailable right now (the job queue cannot be reached); try again shortly.",
                                              retryAfterSeconds: 10)
        }
    }

    private static func documentResponse(_ document: ByteBuffer) -> Response {
        // ByteBuffer is copy-on-write: every response shares the cached storage.
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "private, max-age=60"],
                 body: ResponseBody(byteBuffer: document))
    }

    /// One job per symbol; equal requests in flight share a job (the dedup key is symbol + model version).
    private func enqueue(_ request: PredictRequest) async throws -> JobQueue.Enqueued {
        let job = request.job(modelVersion: settings.modelVersion)
        return try await queue.enqueue(type: job.type, params: job.params, dedupKey: job.dedupKey)
    }

    struct PrecomputeResult: Encodable {
        struct Job: Encodable {
            let symbol: String
            let jobID: String
            let deduplicated: Bool
            enum CodingKeys: String, CodingKey {
                case symbol, deduplicated
                case jobID = "job_id"
            }
        }
        struct Invalid: Encodable {
            let symbol: String
            let reason: String
        }
        let jobs: [Job]
        let invalid: [Invalid]
    }

    private func precompute(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (valid, invalid) = try Self.symbolList(request.uri.queryParameters.get("symbols").map { String($0) })
        var jobs: [PrecomputeResult.Job] = []
        do {
            try await quota.charge(context.identity)
            for request in valid {
                let job = try await enqueue(request)
                jobs.append(.init(symbol: request.symbol, jobID: job.id, deduplicated: job.deduplicated))
            }
        } catch let error as RedisError {
            throw APIError.serviceUnavailable("The job queue cannot be reached (\(error)); try again shortly.", retryAfterSeconds: 10)
        }
        return try JSONBody.response(PrecomputeResult(jobs: jobs, invalid: invalid), status: .accepted)
    }

    /// The `symbols` parameter of a precompute request: a request per valid symbol (each
    /// once) and the entries that are not symbols. Empty entries are skipped and spaces around
    /// entries trimmed. A 400 when the list is missing, has more than 50 entries, or holds no symbol.
    static func symbolList(_ list: String?) throws(APIError) -> (valid: [PredictRequest], invalid: [PrecomputeResult.Invalid]) {
        guard let list, !list.isEmpty else {
            throw APIError.badRequest(field: "symbols", "symbols is required: a comma-separated list such as AAPL,MSFT.")
        }
        let requested = list.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
        guard requested.count <= maxPrecomputeSymbols else {
            throw APIError.badRequest(field: "symbols", "At most \(maxPrecomputeSymbols) symbols per call, got \(requested.count).")
        }
        var valid: [PredictRequest] = []
        var invalid: [PrecomputeResult.Invalid] = []
        for text in requested {
            do {
                let request = try PredictRequest(symbol: text)
                if !valid.contains(request) { valid.append(request) }
            } catch {
                invalid.append(.init(symbol: String(text.prefix(20)), reason: "\(error)"))
            }
        }
        guard !valid.isEmpty else {
            throw APIError.badRequest(field: "symbols", "None of the symbols is valid: \(invalid.map(\.reason).joined(separator: "; ")).")
        }
        return (valid, invalid)
    }
}
