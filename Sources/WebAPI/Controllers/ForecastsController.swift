import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// Bring-your-own series: a user's daily closes (CSV or JSON) become a `forecast` job whose
/// result is the same forecast document a symbol gets. The body is checked here, so mistakes
/// come back at once naming the line; the fit happens only in a worker.
struct ForecastsController {
    let queue: JobQueue
    let settings: Settings
    let quota: JobQuotaCheck

    func addRoutes(to routes: RouteTable) {
        routes.post("/api/forecasts", access: .user) { request, context in try await forecast(request, context) }
    }

    private func forecast(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let upload = try await Self.upload(from: request, limit: settings.maxBodyBytes)
        do {
            try await quota.charge(context.identity)
            let job = upload.job(modelVersion: settings.modelVersion)
            let enqueued = try await queue.enqueue(type: job.type, params: job.params, dedupKey: job.dedupKey)
            return try JSONBody.response(
                PredictionsController.Accepted(jobID: enqueued.id, status: "queued", statusURL: "/api/jobs/\(enqueued.id)",
                                               deduplicated: enqueued.deduplicated),
                status: .accepted, headers: [.location: "/api/jobs/\(enqueued.id)", .retryAfter: "1"])
        } catch let error as RedisError {
            context.logger.error("forecasts unavailable: \(error)")
            throw APIError.serviceUnavailable("Forecasts are unavailable right now (the job queue cannot be reached); try again shortly.",
                                              retryAfterSeconds: 10)
        }
    }

    /// The series in the body: JSON under `application/json`; CSV under `text/csv`,
    /// `text/plain` or no content type. The `name` query parameter labels a CSV (a JSON body's
    /// own `name` wins over it).
    static func upload(from request: Request, limit: Int) async throws -> UploadedSeries {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let queryName = request.uri.queryParameters.get("name").map { String($0) }
        var request = request
        switch mediaType {
        case "application/json":
            let body = Data(buffer: try await request.collectBody(upTo: limit))
            let decoded: UploadedSeries.JSONBody
            do {
                decoded = try JSONDecoder().decode(UploadedSeries.JSONBody.self, from: body)
            } catch let error as DecodingError {
                throw JSONInput.problem(error, body: body)
            }
            return try checked { () throws(UploadedSeries.Problem) in
                try UploadedSeries.points(decoded.points, label: UploadedSeries.label(decoded.name ?? queryName))
            }
        case "", "text/csv", "text/plain":
            let body = try await request.collectBody(upTo: limit)
            return try checked { () throws(UploadedSeries.Problem) in
                try UploadedSeries.csv(String(buffer: body), label: UploadedSeries.label(queryName))
            }
        default:
            throw APIError(.unsupportedMediaType, kind: "unsupported-media-type", title: "Unsupported media type",
                           detail: "Send the series as text/csv (a date,close header and a row per day) or as application/json, not \(mediaType).",
                           field: "Content-Type")
        }
    }

    private static func checked(_ read: () throws(UploadedSeries.Problem) -> UploadedSeries) throws(APIError) -> UploadedSeries {
        do throws(UploadedSeries.Problem) {
            return try read()
        } catch {
            var problem = APIError.badRequest(field: error.field, error.detail)
            problem.line = error.line
            throw problem
        }
    }
}
