import HTTPTypes
import Hummingbird

/// Cross-origin access for the origins in `CORS_ORIGINS` (or `*`), and for no other: a browser
/// page served elsewhere may call the API only when its origin is listed. With the setting
/// empty (the default) no CORS headers are sent, so only the dashboard's own origin can read
/// answers. Preflights (OPTIONS with Access-Control-Request-Method) from a listed origin are
/// answered here, before routing; other requests get the allow header on their response.
/// (Hummingbird's CORSMiddleware takes a fixed variadic list, not one read at start.)
struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: [String]

    static var allowedMethods: String { "GET, POST, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, X-Request-Id, X-Admin-Key" }
    /// Headers a cross-origin page may read: where a job is, when to ask again, which request it was.
    static var exposedHeaders: String { "Location, Retry-After, X-Request-Id" }

    /// The value of Access-Control-Allow-Origin for this request, or nil when it gets none.
    func allowedOrigin(_ request: Request) -> String? {
        guard let origin = request.headers[.origin], origin != "null" else { return nil }
        if origins.contains("*") { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !origins.isEmpty, let allowed = allowedOrigin(request) else { return try await next(request, context) }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            return Response(status: .noContent, headers: [
                .accessControlAllowOrigin: allowed,
                .accessControlAllowMethods: Self.allowedMethods,
                .accessControlAllowHeaders: Self.allowedHeaders,
                .accessControlMaxAge: "600",
                .vary: "Origin",
            ])
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = allowed
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        response.headers[.vary] = "Origin"
        return response
    }
}
