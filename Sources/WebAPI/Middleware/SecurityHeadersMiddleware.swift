import HTTPTypes
import Hummingbird

/// Headers a browser needs to treat the API's answers safely, on every response the router
/// makes (errors, 404s and CORS preflights included: this is the outermost middleware).
/// JSON is never a page, so an answer that did not choose its own Content-Security-Policy gets
/// one that lets it load nothing and be framed nowhere; HTML (the dashboard) sets its own.
/// HSTS only in production, where the PaaS terminates TLS: on a developer's http://localhost
/// it would pin the browser to https for a year.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let strictTransportSecurity: Bool

    static var defaultContentSecurityPolicy: String { "default-src 'none'; frame-ancestors 'none'" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        if strictTransportSecurity {
            response.headers[.strictTransportSecurity] = "max-age=31536000"
        }
        if response.headers[.contentSecurityPolicy] == nil,
           response.headers[.contentType]?.lowercased().hasPrefix("text/html") != true {
            response.headers[.contentSecurityPolicy] = Self.defaultContentSecurityPolicy
        }
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
