import Foundation
import JWTKit
@testable import Shared
import Testing

/// `JWT_SECRET` signs (its key id in `kid`); `JWT_PREVIOUS_SECRETS` only verify.
@Suite("JWT key rotation")
struct AccessTokenRotationTests {
    static let old = "old-secret-0123456789abcdef0123456789abcdef"
    static let current = "current-secret-0123456789abcdef0123456789ab"
    static let stranger = "stranger-secret-0123456789abcdef0123456789a"

    static func header(_ token: String) throws -> [String: String] {
        var text = String(token.split(separator: ".")[0]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return try JSONDecoder().decode([String: String].self, from: try #require(Data(base64Encoded: text)))
    }

    @Test func aTokenSignedWithThePreviousKeyStillVerifies() async throws {
        let user = UUID()
        let beforeRotation = try await AccessTokens(secret: Self.old, lifetime: 600).issue(for: user)
        let rotated = await AccessTokens(secret: Self.current, previousSecrets: [Self.old], lifetime: 600)
        #expect(try await rotated.verify(beforeRotation.token).userID == user)
        // Once the old secret is dropped from the list, its tokens are refused.
        let dropped = await AccessTokens(secret: Self.current, lifetime: 600)
        await #expect(throws: TokenRejection.unknownKey(AccessTokens.keyID(for: Self.old))) { try await dropped.verify(beforeRotation.token) }
    }

    @Test func newTokensAreSignedWithTheCurrentKeyAndNameIt() async throws {
        let rotated = await AccessTokens(secret: Self.current, previousSecrets: [Self.old], lifetime: 600)
        let issued = try await rotated.issue(for: UUID())
        #expect(try Self.header(issued.token)["kid"] == AccessTokens.keyID(for: Self.current))
        #expect(try Self.header(issued.token)["alg"] == "HS256")
        // Verifiable with the current secret alone; a process holding only the old one refuses it.
        _ = try await AccessTokens(secret: Self.current, lifetime: 600).verify(issued.token)
        await #expect(throws: TokenRejection.self) { try await AccessTokens(secret: Self.old, lifetime: 600).verify(issued.token) }
        // Key ids are stable across processes and reveal nothing obvious of the secret.
        #expect(AccessTokens.keyID(for: Self.current) == AccessTokens.keyID(for: Self.current))
        #expect(AccessTokens.keyID(for: Self.current) != AccessTokens.keyID(for: Self.old))
        #expect(!Self.current.contains(AccessTokens.keyID(for: Self.current)))
    }

    @Test func anUnknownKidIsRefusedAndAKnownKidWithAWrongSignatureToo() async throws {
        let rotated = await AccessTokens(secret: Self.current, previousSecrets: [Self.old], lifetime: 600, verifiedCacheSize: 0)
        let strangers = try await AccessTokens(secret: Self.stranger, lifetime: 600).issue(for: UUID())
        await #expect(throws: TokenRejection.unknownKey(AccessTokens.keyID(for: Self.stranger))) { try await rotated.verify(strangers.token) }

        // A stranger's key claiming the previous key's id: jwt-kit would pick that key and fail.
        let claims = strangers.claims
        let forger = JWTKeyCollection()
        await forger.add(hmac: HMACKey(from: Self.stranger), digestAlgorithm: .sha256)
        let forged = try await forger.sign(claims, kid: JWKIdentifier(string: AccessTokens.keyID(for: Self.old)))
        await #expect(throws: TokenRejection.badSignature) { try await rotated.verify(forged) }

        // Tokens from before key ids existed (no kid) are checked against the current key only.
        let legacy = JWTKeyCollection()
        await legacy.add(hmac: HMACKey(from: Self.current), digestAlgorithm: .sha256)
        #expect(try await rotated.verify(try await legacy.sign(claims)).userID == claims.userID)
        let legacyOld = JWTKeyCollection()
        await legacyOld.add(hmac: HMACKey(from: Self.old), digestAlgorithm: .sha256)
        await #expect(throws: TokenRejection.badSignature) { try await rotated.verify(try await legacyOld.sign(claims)) }
    }
}
