import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Shared

/// Which callers a route admits.
enum RouteAccess: String, Sendable {
    case everyone
    /// A valid, unrevoked bearer token.
    case user
    /// An admin user's bearer token, or `X-Admin-Key` equal to `ADMIN_API_KEY`.
    case admin
}

/// Turns the `Authorization` / `X-Admin-Key` headers into an `Identity`, or the 401/403/503
/// problem that explains why not.
struct RequestAuthenticator: Sendable {
    let tokens: AccessTokens
    let revocations: TokenRevocations
    let users: UserRepository
    /// SHA-256 of ADMIN_API_KEY: comparing digests keeps the comparison constant-time
    /// (swift-crypto's digest equality) and independent of the key's length.
    let adminKeyDigest: SHA256.Digest?

    init(tokens: AccessTokens, revocations: TokenRevocations, users: UserRepository, adminAPIKey: String?) {
        self.tokens = tokens
        self.revocations = revocations
        self.users = users
        self.adminKeyDigest = adminAPIKey.map { SHA256.hash(data: Array($0.utf8)) }
    }

    func identity(for request: Request, access: RouteAccess, logger: Logger) async throws -> Identity? {
        switch access {
        case .everyone:
            return nil
        case .user:
            let claims = try await verifiedClaims(request, logger: logger)
            return Identity(claims: claims, userID: claims.userID, isAdmin: false)
        case .admin:
            if let given = request.headers[.adminKey] {
                guard let adminKeyDigest, SHA256.hash(data: Array(given.utf8)) == adminKeyDigest else {
                    logger.notice("admin key refused")
                    throw APIError(.forbidden, kind: "forbidden", title: "Forbidden",
                                   detail: adminKeyDigest == nil ? "Admin keys are disabled on this server (ADMIN_API_KEY is not set)."
                                                                  : "The X-Admin-Key header is wrong.", field: "X-Admin-Key")
                }
                return Identity(claims: nil, userID: nil, isAdmin: true)
            }
            let claims = try await verifiedClaims(request, logger: logger)
            // The flag is read from the database, so a demotion takes effect at once.
            guard let userID = claims.userID, let user = try await users.find(id: userID), user.isAdmin else {
                throw APIError(.forbidden, kind: "forbidden", title: "Forbidden", detail: "This route is for administrators.")
            }
            return Identity(claims: claims, userID: userID, isAdmin: true)
        }
    }

    func verifiedClaims(_ request: Request, logger: Logger) async throws -> AccessClaims {
        let claims: AccessClaims
        do {
            claims = try await tokens.verify(try Self.bearerToken(request))
        } catch {
            logger.info("token refused: \(error)")
            throw APIError.unauthorized(error)
        }
        let revoked: Bool
        do {
            revoked = try await revocations.isRevoked(claims)
        } catch {
            // Fail closed: without the revocation list a logged-out token could pass.
            logger.error("revocation list unreachable: \(error)")
            throw APIError.serviceUnavailable("Cannot check the token right now; try again shortly.", retryAfterSeconds: 5)
        }
        if revoked { throw APIError.unauthorized(.revoked) }
        return claims
    }

    static func bearerToken(_ request: Request) throws(TokenRejection) -> String {
        guard let header = request.headers[.authorization] else { throw .missing }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw .missing }
        // Trimmed by hand (RFC 9110 whitespace: space and tab): Foundation's trimmingCharacters
        // goes through NSString and UTF-16, and was ~15% of a cached request's CPU.
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = parts[1].firstIndex(where: { !isBlank($0) }), let last = parts[1].lastIndex(where: { !isBlank($0) }) else { throw .missing }
        let token = String(parts[1][first...last])
        guard !token.isEmpty else { throw .missing }
        return token
    }
}

extension APIError {
    /// 401 with the RFC 6750 challenge; a refused token says `invalid_token` and why.
    static func unauthorized(_ rejection: TokenRejection) -> APIError {
        var error = APIError(.unauthorized, kind: "unauthorized", title: "Authentication required",
                             detail: rejection == .missing ? "Send Authorization: Bearer <access token>." : "The access token is not valid: \(rejection).",
                             field: "Authorization")
        error.headers[.wwwAuthenticate] = rejection == .missing
            ? #"Bearer realm="stockhub""#
            : #"Bearer realm="stockhub", error="invalid_token""#
        return error
    }
}

extension HTTPField.Name {
    static let adminKey = Self("X-Admin-Key")!
    static let forwardedFor = Self("X-Forwarded-For")!
}
