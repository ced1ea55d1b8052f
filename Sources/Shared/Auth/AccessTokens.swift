import Crypto
import Foundation
import JWTKit

/// The claims of a StockHub access token.
public struct AccessClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var jti: IDClaim
    public var iss: IssuerClaim

    /// Checks are done by `AccessTokens.verify`, with leeway and typed errors.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    public var userID: UUID? { UUID(uuidString: sub.value) }
}

/// Why a bearer token was refused. Each becomes a 401; the reason is logged, and the response
/// says only what a client can act on.
public enum TokenRejection: Error, Sendable, Equatable, CustomStringConvertible {
    case missing
    case malformed
    /// Only HS256 is accepted; anything else (including `none`) is refused before any check.
    case algorithmNotAllowed(String)
    /// The header names a key (`kid`) that is neither the current nor a previous secret's.
    case unknownKey(String)
    case badSignature
    case expired
    case wrongIssuer
    case revoked

    public var description: String {
        switch self {
        case .missing: "no bearer token"
        case .malformed: "the token is not a well-formed JWT"
        case .algorithmNotAllowed(let alg): "algorithm \(alg) is not accepted (HS256 only)"
        case .unknownKey(let kid): "the token names signing key \(kid.prefix(32)), which this server does not hold"
        case .badSignature: "the token's signature does not verify"
        case .expired: "the token has expired"
        case .wrongIssuer: "the token was issued by someone else"
        case .revoked: "the token was revoked (logged out)"
        }
    }
}

public struct IssuedToken: Sendable {
    public let token: String
    public let claims: AccessClaims
    public var expiresAt: Date { claims.exp.value }
}

/// Issues and verifies HS256 access tokens.
///
/// Key rotation: tokens are signed with the current secret and name it in the header's `kid`;
/// previous secrets verify the tokens they signed until those expire. A key's id is derived
/// from the secret (`keyID(for:)`), so an operator rotates by moving the old `JWT_SECRET` into
/// `JWT_PREVIOUS_SECRETS`, with no ids to invent or keep in step across processes. Tokens
/// without a `kid` (issued before rotation existed) are checked against the current secret only.
public struct AccessTokens: Sendable {
    public let issuer: String
    public let lifetime: TimeInterval
    /// Tolerated clock difference between the issuing and the verifying process.
    public let leeway: TimeInterval
    private let keys: JWTKeyCollection
    /// The id of the signing (current) key, and of every key accepted for verification.
    public let currentKeyID: String
    private let acceptedKeyIDs: Set<String>
    /// Tokens whose signature, algorithm and issuer already checked out, with their claims.
    /// The same token string arrives on every request of a session; its HMAC and JSON decode
    /// cost more than the rest of a cached route. Only exactly equal strings hit (so nothing
    /// unverified is ever accepted), expiry is checked again on every hit, and revocation is
    /// not cached here at all (`TokenRevocations` decides that per request).
    private let verified: ExpiringCache<String, AccessClaims>?

    /// - Parameter verifiedCacheSize: how many verified tokens to remember (0: verify every time).
    /// - Parameter previousSecrets: accepted for verification only (`JWT_PREVIOUS_SECRETS`).
    public init(secret: String, previousSecrets: [String] = [], issuer: String = "stockhub", lifetime: TimeInterval,
                leeway: TimeInterval = 30, verifiedCacheSize: Int = 10_000) async {
        self.issuer = issuer
        self.lifetime = lifetime
        self.leeway = leeway
        self.verified = verifiedCacheSize > 0 ? ExpiringCache(maxEntries: verifiedCacheSize) : nil
        self.keys = JWTKeyCollection()
        self.currentKeyID = Self.keyID(for: secret)
        // The first key added is also jwt-kit's default, which verifies kid-less tokens.
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: currentKeyID))
        var accepted: Set<String> = [currentKeyID]
        for previous in previousSecrets where previous != secret {
            let kid = Self.keyID(for: previous)
            accepted.insert(kid)
            await keys.add(hmac: HMACKey(from: previous), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        }
        self.acceptedKeyIDs = accepted
    }

    /// A key's public name: 16 hex digits of HMAC-SHA256(secret, "stockhub-jwt-kid"). One-way,
    /// so the header reveals nothing of the secret, and equal in every process that holds it.
    public static func keyID(for secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("stockhub-jwt-kid".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    public func issue(for userID: UUID, now: Date = Date()) async throws -> IssuedToken {
        // Whole seconds: JWT times are NumericDate seconds, and what we hand out must equal what we read back.
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessClaims(
            sub: SubjectClaim(value: userID.uuidString.lowercased()),
            iat: IssuedAtClaim(value: issuedAt),
            exp: ExpirationClaim(value: issuedAt.addingTimeInterval(lifetime)),
            jti: IDClaim(value: UUID().uuidString.lowercased()),
            iss: IssuerClaim(value: issuer))
        return IssuedToken(token: try await keys.sign(claims, kid: JWKIdentifier(string: currentKeyID)), claims: claims)
    }

    public func verify(_ token: String, now: Date = Date()) async throws(TokenRejection) -> AccessClaims {
        if let claims = verified?.value(for: token) {
            guard claims.exp.value.addingTimeInterval(leeway) > now else { throw .expired }
            return claims
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.decodeSegment(parts[0]),
              let fields = try? JSONDecoder().decode(Header.self, from: header) else { throw .malformed }
        guard fields.alg == "HS256" else { throw .algorithmNotAllowed(fields.alg ?? "(missing)") }
        // jwt-kit falls back to its default key for an unknown kid; refuse those here instead.
        if let kid = fields.kid, !acceptedKeyIDs.contains(kid) { throw .unknownKey(kid) }
        let claims: AccessClaims
        do {
            claims = try await keys.verify(token, as: AccessClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw .malformed
        }
        guard claims.iss.value == issuer else { throw .wrongIssuer }
        guard claims.exp.value.addingTimeInterval(leeway) > now else { throw .expired }
        guard claims.userID != nil else { throw .malformed }
        // Kept no longer than the token is valid (by this process's clock); the check above
        // still runs on every hit, so a caller-supplied `now` is honoured too.
        let remaining = claims.exp.value.addingTimeInterval(leeway).timeIntervalSince(Date())
        if remaining > 0 {
            verified?.insert(claims, for: token, expires: .now + .milliseconds(Int64(remaining * 1000)), cost: 1)
        }
        return claims
    }

    private struct Header: Decodable {
        let alg: String?
        let kid: String?
    }

    private static func decodeSegment(_ segment: Substring) -> Data? {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: text)
    }
}
