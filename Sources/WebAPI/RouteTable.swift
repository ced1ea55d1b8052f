import Hummingbird

/// The routes the API serves, recorded as they are registered, so a test can check each one
/// against `openapi.yaml` (Hummingbird's router does not list its routes).
final class RouteTable<Context: RequestContext>: @unchecked Sendable {
    struct Entry: Hashable, Sendable {
        let method: String
        /// OpenAPI form: `/api/jobs/{id}`.
        let path: String
    }

    let router: Router<Context>
    private(set) var entries: [Entry] = []

    init(router: Router<Context>) { self.router = router }

    func on(
        _ method: HTTPRequest.Method, _ path: String,
        use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) {
        // Hummingbird writes path parameters as `:name`; OpenAPI as `{name}`.
        let openAPIPath = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        entries.append(Entry(method: method.rawValue, path: openAPIPath))
        router.on(RouterPath(path), method: method, use: handler)
    }

    func get(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        on(.get, path, use: handler)
    }
}
