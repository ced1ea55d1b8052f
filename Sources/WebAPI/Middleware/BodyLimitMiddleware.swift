import HTTPTypes
import Hummingbird

/// Refuses a declared body over `MAX_BODY_BYTES` with 413 before any route runs, so routes that
/// never read a body answer the same as those that do (they read with `collectBody(upTo:)`
/// and the same limit, which also catches chunked bodies that declare no length).
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength], let length = Int(declared), length > maxBodyBytes {
            throw APIError.bodyTooLarge(limit: maxBodyBytes)
        }
        return try await next(request, context)
    }
}

extension APIError {
    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, kind: "body-too-large", title: "Request body too large",
                 detail: "The request body is larger than this server accepts (MAX_BODY_BYTES = \(limit) bytes).")
    }
}
