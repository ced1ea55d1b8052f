import Foundation
import Hummingbird
import Shared

/// Administration of accounts. Admin users' tokens or `X-Admin-Key` only.
struct AdminController {
    let users: UserRepository

    func addRoutes(to routes: RouteTable) {
        routes.get("/api/admin/users", access: .admin) { request, _ in try await listUsers(request) }
    }

    struct UserPage: Encodable {
        let users: [User]
        let limit: Int
        let offset: Int
    }

    private func listUsers(_ request: Request) async throws -> Response {
        let limit = try QueryParameter.integer(request, "limit", default: 50, range: 1...200)
        let offset = try QueryParameter.integer(request, "offset", default: 0, range: 0...1_000_000)
        return try JSONBody.response(UserPage(users: try await users.list(limit: limit, offset: offset), limit: limit, offset: offset))
    }
}

enum QueryParameter {
    static func integer(_ request: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest(field: name, "\(name) must be a whole number \(range.lowerBound)-\(range.upperBound), got \"\(text)\".")
        }
        return value
    }
}
