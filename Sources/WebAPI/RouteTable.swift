import Hummingbird

/// The routes the API serves, each with who may call it. Registering through this table
/// does two things: protected handlers run only after `RequestAuthenticator` admits the
/// caller (and see the `Identity` in the context), and the list of (method, path, access)
/// is kept so a test can hold it to `openapi.yaml` (Hummingbird's router does not list routes).
final class RouteTable: @unchecked Sendable {
    struct Entry: Hashable, Sendable {
        let method: String
        /// OpenAPI form: `/api/jobs/{id}`.
        let path: String
        let access: RouteAccess
    }

    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    let router: Router<AppRequestContext>
    let authenticator: RequestAuthenticator
    private(set) var entries: [Entry] = []

    init(router: Router<AppRequestContext>, authenticator: RequestAuthenticator) {
        self.router = router
        self.authenticator = authenticator
    }

    func on(_ method: HTTPRequest.Method, _ path: String, access: RouteAccess = .everyone, use handler: @escaping Handler) {
        // Hummingbird writes path parameters as `:name`; OpenAPI as `{name}`.
        let openAPIPath = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        entries.append(Entry(method: method.rawValue, path: openAPIPath, access: access))
        guard access != .everyone else {
            router.on(RouterPath(path), method: method, use: handler)
            return
        }
        let authenticator = self.authenticator
        router.on(RouterPath(path), method: method) { request, context in
            var context = context
            context.identity = try await authenticator.identity(for: request, access: access, logger: context.logger)
            return try await handler(request, context)
        }
    }

    func get(_ path: String, access: RouteAccess = .everyone, use handler: @escaping Handler) {
        on(.get, path, access: access, use: handler)
    }

    func post(_ path: String, access: RouteAccess = .everyone, use handler: @escaping Handler) {
        on(.post, path, access: access, use: handler)
    }
}
