import Foundation
import Hummingbird
import Logging
import Shared

/// Accounts and tokens: register, login, me, verify, logout.
struct AuthController {
    let settings: Settings
    let users: UserRepository
    let hasher: PasswordHasher
    let tokens: AccessTokens
    let revocations: TokenRevocations
    let loginFailures: AttemptThrottle
    let registrations: AttemptThrottle

    func addRoutes(to routes: RouteTable) {
        routes.post("/api/auth/register") { request, context in try await register(request, context) }
        routes.post("/api/auth/login") { request, context in try await login(request, context) }
        routes.get("/api/auth/me", access: .user) { _, context in try await me(context) }
        routes.get("/api/auth/verify", access: .user) { _, context in try verify(context) }
        routes.post("/api/auth/logout", access: .user) { _, context in try await logout(context) }
    }

    struct RegisterRequest: Decodable {
        let username: String
        let email: String
        let password: String
    }

    /// `login` may be a username or an email; `username` and `email` are accepted as its names.
    struct LoginRequest: Decodable {
        let login: String?
        let username: String?
        let email: String?
        let password: String

        /// The name the account is looked up by: the first of login, username, email present.
        func accountName() throws(APIError) -> String {
            guard let name = login ?? username ?? email, !name.isEmpty else {
                throw APIError.badRequest(field: "login", "login (a username or an email) is required.")
            }
            return name
        }
    }

    struct TokenResponse: Encodable {
        let user: User
        let accessToken: String
        let tokenType = "bearer"
        let expiresIn: Int
        let expiresAt: Date

        enum CodingKeys: String, CodingKey {
            case user
            case accessToken = "access_token"
            case tokenType = "token_type"
            case expiresIn = "expires_in"
            case expiresAt = "expires_at"
        }
    }

    struct VerifyResponse: Encodable {
        let valid: Bool
        let userID: UUID
        let expiresAt: Date
        enum CodingKeys: String, CodingKey {
            case valid
            case userID = "user_id"
            case expiresAt = "expires_at"
        }
    }

    private func register(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let address = ClientAddress.of(request, context, trustProxy: settings.trustProxy)
        let throttleKeys = [settings.redisKeys.registrationsForAddress(address)]
        if let wait = try await throttle(registrations, throttleKeys, context.logger) {
            throw APIError.tooManyRequests("Too many registrations from this address; try again later.", retryAfterSeconds: wait)
        }
        let body = try await JSONInput.decode(RegisterRequest.self, from: request, limit: settings.maxBodyBytes)
        await record(registrations, throttleKeys, context.logger)
        do {
            try AccountRules.checkUsername(body.username)
            try AccountRules.checkEmail(body.email)
            try AccountRules.checkPassword(body.password)
        } catch {
            throw APIError.badRequest(field: error.field, "\(error.field) \(error.reason).")
        }
        let hash = try await hasher.hash(body.password)
        let user: User
        do {
            user = try await users.create(username: body.username, email: body.email, passwordHash: hash)
        } catch UserStoreError.duplicate(let field) {
            throw APIError(.conflict, kind: "already-registered", title: "Already registered",
                           detail: "An account with this \(field) already exists.", field: field)
        }
        context.logger.info("account registered", metadata: ["user_id": "\(user.id)"])
        return try await tokenResponse(for: user, status: .created)
    }

    private func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await JSONInput.decode(LoginRequest.self, from: request, limit: settings.maxBodyBytes)
        let login = try body.accountName()
        let address = ClientAddress.of(request, context, trustProxy: settings.trustProxy)
        let accountKey = settings.redisKeys.loginFailuresForAccount(Self.accountHash(login))
        let throttleKeys = [accountKey, settings.redisKeys.loginFailuresForAddress(address)]
        if let wait = try await throttle(loginFailures, throttleKeys, context.logger) {
            throw APIError.tooManyRequests("Too many failed logins; try again later.", retryAfterSeconds: wait)
        }
        // Over-long or NUL-bearing input can never match a stored hash or name an account (and
        // PostgreSQL text cannot carry a NUL): still spend a bcrypt check so such requests take
        // as long as any other failure, and answer 401 like one.
        let candidate = (try? AccountRules.checkPassword(body.password)) != nil ? body.password : "x"
        let account = AccountRules.couldNameAnAccount(login) ? try await users.findForLogin(login) : nil
        let matches = try await hasher.verify(candidate, against: account?.passwordHash) && candidate == body.password
        guard let (user, _) = account, matches else {
            await record(loginFailures, throttleKeys, context.logger)
            // One answer for "no such account" and "wrong password".
            throw APIError.invalidCredentials()
        }
        try? await loginFailures.reset([accountKey])
        try await users.recordLogin(id: user.id)
        context.logger.info("login", metadata: ["user_id": "\(user.id)"])
        return try await tokenResponse(for: user, status: .ok)
    }

    private func me(_ context: AppRequestContext) async throws -> Response {
        guard let id = context.identity?.userID, let user = try await users.find(id: id) else {
            throw APIError.unauthorized(.malformed)  // the account behind a valid token is gone
        }
        return try JSONBody.response(user)
    }

    private func verify(_ context: AppRequestContext) throws -> Response {
        guard let claims = context.identity?.claims, let id = claims.userID else { throw APIError.unauthorized(.malformed) }
        return try JSONBody.response(VerifyResponse(valid: true, userID: id, expiresAt: claims.exp.value))
    }

    private func logout(_ context: AppRequestContext) async throws -> Response {
        guard let claims = context.identity?.claims else { throw APIError.unauthorized(.malformed) }
        try await revocations.revoke(claims)
        return Response(status: .noContent)
    }

    private func tokenResponse(for user: User, status: HTTPResponse.Status) async throws -> Response {
        let issued = try await tokens.issue(for: user.id)
        return try JSONBody.response(
            TokenResponse(user: user, accessToken: issued.token, expiresIn: Int(tokens.lifetime), expiresAt: issued.expiresAt),
            status: status, headers: [.cacheControl: "no-store"])
    }

    /// Throttling fails open: with Redis down, logins still work (and the outage is logged);
    /// refusing every login would turn a cache outage into a full one.
    private func throttle(_ throttle: AttemptThrottle, _ keys: [String], _ logger: Logger) async throws -> Int? {
        do { return try await throttle.retryAfter(keys) } catch {
            logger.error("throttle unavailable, not limiting: \(error)")
            return nil
        }
    }

    private func record(_ throttle: AttemptThrottle, _ keys: [String], _ logger: Logger) async {
        do { try await throttle.record(keys) } catch { logger.error("throttle unavailable, not counting: \(error)") }
    }

    static func accountHash(_ login: String) -> String {
        SHA256Hex.of(login.lowercased())
    }
}

extension APIError {
    static func invalidCredentials() -> APIError {
        APIError(.unauthorized, kind: "invalid-credentials", title: "Invalid credentials",
                 detail: "The login or the password is wrong.")
    }

    static func tooManyRequests(_ detail: String, retryAfterSeconds: Int) -> APIError {
        var error = APIError(.tooManyRequests, kind: "rate-limited", title: "Too many requests", detail: detail)
        error.headers[.retryAfter] = String(retryAfterSeconds)
        return error
    }
}
