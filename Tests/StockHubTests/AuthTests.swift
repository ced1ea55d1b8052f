import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// Accounts and tokens through the real router, against the real Postgres and Redis.
@Suite("Auth: accounts, tokens, throttling")
struct AuthTests {
    // 64 bytes: jwt-kit asserts an HMAC key is at least as long as the digest (HS512 below).
    static let secret = "test-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123"
    let contract: OpenAPIContract

    init() throws { contract = try OpenAPIContract.load() }

    static func app(_ overrides: [String: String] = [:]) async throws -> some ApplicationProtocol {
        let dependencies = try await WebAPIRouteTests.liveDependencies(
            ["JWT_SECRET": secret, "TRUST_PROXY": "true", "ADMIN_API_KEY": "admin-key-0123456789"].merging(overrides) { $1 })
        try await Migrator().migrate(on: dependencies.clients.postgres)
        return buildApplication(dependencies, logger: Logger(label: "test"))
    }

    /// Every test calls from an address of its own (via X-Forwarded-For, trusted here), so
    /// per-address throttles of parallel tests never interfere.
    struct Caller {
        let client: any TestClientProtocol
        let address = "10.\(Int.random(in: 0...255)).\(Int.random(in: 0...255)).\(Int.random(in: 1...254))"

        func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, token: String? = nil,
                  headers extra: HTTPFields = [:]) async throws -> TestResponse {
            var headers: HTTPFields = [.forwardedFor: address]
            if json != nil { headers[.contentType] = "application/json" }
            if let token { headers[.authorization] = "Bearer \(token)" }
            headers.append(contentsOf: extra)
            return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        }

        func register(_ username: String, email: String? = nil, password: String = "correct horse battery") async throws -> TestResponse {
            try await send(.post, "/api/auth/register", json: Self.object(["username": username, "email": email ?? "\(username)@example.com", "password": password]))
        }

        func login(_ login: String, _ password: String) async throws -> TestResponse {
            try await send(.post, "/api/auth/login", json: Self.object(["login": login, "password": password]))
        }

        static func object(_ fields: [String: String]) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
        }
    }

    struct Token: Decodable {
        let accessToken: String
        let user: User
        let expiresIn: Int
        enum CodingKeys: String, CodingKey {
            case user
            case accessToken = "access_token"
            case expiresIn = "expires_in"
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(buffer: response.body))
    }

    static func problem(_ response: TestResponse) throws -> ProblemDocument { try decode(ProblemDocument.self, response) }

    @Test func registerLoginMeVerifyLogoutRoundTrip() async throws {
        try await Self.app().test(.router) { client in
            let caller = Caller(client: client)
            let name = uniqueName("alice").replacingOccurrences(of: "-", with: "_")
            let registered = try await caller.register(name)
            #expect(registered.status == .created, "\(String(buffer: registered.body))")
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/register", registered)
            let first = try Self.decode(Token.self, registered)
            #expect(first.user.username == name && !first.user.isAdmin && first.expiresIn == 1440 * 60)

            // Login by username and by email, in any case.
            let byName = try await caller.login(name.uppercased(), "correct horse battery")
            #expect(byName.status == .ok)
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/login", byName)
            let byEmail = try await caller.login("\(name)@EXAMPLE.com", "correct horse battery")
            #expect(byEmail.status == .ok)
            let token = try Self.decode(Token.self, byEmail).accessToken

            let me = try await caller.send(.get, "/api/auth/me", token: token)
            #expect(me.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/auth/me", me)
            let user = try Self.decode(User.self, me)
            #expect(user.id == first.user.id && user.lastLoginAt != nil)

            let verify = try await caller.send(.get, "/api/auth/verify", token: token)
            #expect(verify.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/auth/verify", verify)

            let logout = try await caller.send(.post, "/api/auth/logout", token: token)
            #expect(logout.status == .noContent)
            let after = try await caller.send(.get, "/api/auth/me", token: token)
            #expect(after.status == .unauthorized)
            #expect(try Self.problem(after).detail.contains("revoked"))
            // Other tokens of the same account still work: logout revokes one token, not the account.
            #expect(try await caller.send(.get, "/api/auth/me", token: first.accessToken).status == .ok)
        }
    }

    @Test func duplicatesAreRefusedEvenWhenOnlyTheCaseDiffers() async throws {
        try await Self.app().test(.router) { client in
            let caller = Caller(client: client)
            let name = uniqueName("Bob").replacingOccurrences(of: "-", with: "_")
            #expect(try await caller.register(name).status == .created)
            let sameName = try await caller.register(name.lowercased(), email: "\(name)-other@example.com")
            #expect(sameName.status == .conflict)
            #expect(try Self.problem(sameName).field == "username")
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/register", sameName)
            let sameEmail = try await caller.register(name + "x", email: "\(name)@Example.COM".uppercased())
            #expect(sameEmail.status == .conflict)
            #expect(try Self.problem(sameEmail).field == "email")
        }
    }

    @Test func everyValidationRuleNamesItsField() async throws {
        try await Self.app().test(.router) { client in
            let caller = Caller(client: client)
            let ok = uniqueName("v").replacingOccurrences(of: "-", with: "_")
            let cases: [(username: String, email: String, password: String, field: String)] = [
                ("ab", "\(ok)@example.com", "long enough", "username"),
                (String(repeating: "a", count: 33), "\(ok)@example.com", "long enough", "username"),
                ("has space", "\(ok)@example.com", "long enough", "username"),
                ("ünïcode", "\(ok)@example.com", "long enough", "username"),
                ("'; DROP TABLE users; --", "\(ok)@example.com", "long enough", "username"),
                (ok, "no-at-sign", "long enough", "email"),
                (ok, "two@@example.com", "long enough", "email"),
                (ok, "nodot@example", "long enough", "email"),
                (ok, "sp ace@example.com", "long enough", "email"),
                (ok, "x'; DROP TABLE users;--@example.com", "long enough", "email"),
                (ok, "\(ok)@example.com", "short", "password"),
                (ok, "\(ok)@example.com", String(repeating: "p", count: 73), "password"),
                (ok, "\(ok)@example.com", String(repeating: "é", count: 37), "password"),  // 74 bytes, 37 characters
            ]
            for bad in cases {
                let response = try await caller.register(bad.username, email: bad.email, password: bad.password)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(try Self.problem(response).field == bad.field, "\(bad): \(String(buffer: response.body))")
                WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/register", response)
            }
            // 72 bytes exactly is accepted.
            #expect(try await caller.register(ok, password: String(repeating: "é", count: 36)).status == .created)
            // Missing fields and wrong types name the field too.
            let missing = try await caller.send(.post, "/api/auth/register", json: #"{"username": "abc", "email": "a@b.co"}"#)
            #expect(missing.status == .badRequest)
            #expect(try Self.problem(missing).field == "password")
            let wrongType = try await caller.send(.post, "/api/auth/register", json: #"{"username": 5, "email": "a@b.co", "password": "xxxxxxxx"}"#)
            #expect(wrongType.status == .badRequest)
            #expect(try Self.problem(wrongType).field == "username")
        }
    }

    @Test func hostileStringsAreStoredOrRefusedHarmlessly() async throws {
        try await Self.app().test(.router) { client in
            let caller = Caller(client: client)
            let name = uniqueName("mallory").replacingOccurrences(of: "-", with: "_")
            let email = "o'brien+\(name)@example.com"
            let password = "' OR '1'='1' --"
            let registered = try await caller.register(name, email: email, password: password)
            #expect(registered.status == .created)
            #expect(try Self.decode(Token.self, registered).user.email == email)
            #expect(try await caller.login(email, password).status == .ok)
            // Classic injections in the login field just fail to match.
            for login in ["' OR 1=1 --", "\(name)' --", "admin'/*"] {
                #expect(try await caller.login(login, password).status == .unauthorized)
            }
            #expect(try await caller.login(name, "' OR ''='").status == .unauthorized)
        }
    }

    @Test func unknownUserAndWrongPasswordLookTheSame() async throws {
        try await Self.app().test(.router) { client in
            let caller = Caller(client: client)
            let name = uniqueName("carol").replacingOccurrences(of: "-", with: "_")
            #expect(try await caller.register(name).status == .created)
            let wrongPassword = try await caller.login(name, "not the password")
            let unknownUser = try await caller.login(name + "_nobody", "not the password")
            #expect(wrongPassword.status == .unauthorized && unknownUser.status == .unauthorized)
            let a = try Self.problem(wrongPassword), b = try Self.problem(unknownUser)
            #expect(a.type == b.type && a.title == b.title && a.detail == b.detail && a.field == b.field && a.status == b.status)
            #expect(wrongPassword.headers[.contentType] == unknownUser.headers[.contentType])
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/login", wrongPassword)
        }
    }

    @Test func refusedTokens() async throws {
        try await Self.app().test(.router) { client in
            let caller = Caller(client: client)
            let name = uniqueName("dave").replacingOccurrences(of: "-", with: "_")
            let token = try Self.decode(Token.self, try await caller.register(name))
            let userID = token.user.id
            let parts = token.accessToken.split(separator: ".").map(String.init)

            func base64URL(_ text: String) -> String {
                Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            }
            let now = Int(Date().timeIntervalSince1970)
            let payload = #"{"sub":"\#(userID.uuidString.lowercased())","iat":\#(now),"exp":\#(now + 3600),"jti":"x","iss":"stockhub"}"#
            let otherUser = #"{"sub":"\#(UUID().uuidString.lowercased())","iat":\#(now),"exp":\#(now + 3600),"jti":"x","iss":"stockhub"}"#

            let otherSecret = try await AccessTokens(secret: "another-secret-0123456789abcdef012345", lifetime: 3600).issue(for: userID).token
            let expired = try await AccessTokens(secret: Self.secret, lifetime: 60).issue(for: userID, now: Date(timeIntervalSinceNow: -7200)).token
            let wrongIssuer = try await AccessTokens(secret: Self.secret, issuer: "evil", lifetime: 3600).issue(for: userID).token
            let hs512Keys = JWTKeyCollection()
            await hs512Keys.add(hmac: HMACKey(from: Self.secret), digestAlgorithm: .sha512)
            let hs512 = try await hs512Keys.sign(AccessClaims(
                sub: SubjectClaim(value: userID.uuidString.lowercased()), iat: IssuedAtClaim(value: Date()),
                exp: ExpirationClaim(value: Date(timeIntervalSinceNow: 3600)), jti: IDClaim(value: "y"), iss: IssuerClaim(value: "stockhub")))

            let refused: [(String, String?)] = [
                ("alg none", base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + base64URL(payload) + "."),
                ("HS512 with the right secret", hs512),
                ("HS256 signed with another secret", otherSecret),
                ("payload swapped, signature kept", parts[0] + "." + base64URL(otherUser) + "." + parts[2]),
                ("signature truncated", parts[0] + "." + parts[1] + "." + String(parts[2].dropLast(4))),
                ("expired two hours ago", expired),
                ("wrong issuer", wrongIssuer),
                ("garbage", "not-a-token"),
                ("two parts", parts[0] + "." + parts[1]),
                ("empty", nil),
            ]
            for (label, bad) in refused {
                let response = try await caller.send(.get, "/api/auth/me", token: bad)
                #expect(response.status == .unauthorized, "\(label)")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(label)")
                WebAPIRouteTests.checkContract(contract, "GET", "/api/auth/me", response)
            }
            // Not a Bearer scheme at all.
            for header in ["Token \(token.accessToken)", "Basic YWxpY2U6cGFzcw==", "Bearer", token.accessToken] {
                let response = try await caller.send(.get, "/api/auth/me", headers: [.authorization: header])
                #expect(response.status == .unauthorized, "\(header)")
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="stockhub""#)
            }
            // The genuine token still works.
            #expect(try await caller.send(.get, "/api/auth/me", token: token.accessToken).status == .ok)
        }
    }

    @Test func bodiesThatAreTooLargeNotJSONOrMalformedAreRefusedClearly() async throws {
        try await Self.app(["MAX_BODY_BYTES": "4096"]).test(.router) { client in
            let caller = Caller(client: client)
            let big = try await caller.send(.post, "/api/auth/login", json: #"{"login": "x", "password": ""# + String(repeating: "a", count: 5000) + #""}"#)
            #expect(big.status == .contentTooLarge)
            #expect(big.headers[.contentType] == "application/problem+json")
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/login", big)

            let form = try await caller.client.execute(uri: "/api/auth/login", method: .post,
                                                       headers: [.contentType: "application/x-www-form-urlencoded", .forwardedFor: caller.address],
                                                       body: ByteBuffer(string: "login=x&password=y"))
            #expect(form.status == .unsupportedMediaType)
            #expect(try Self.problem(form).field == "Content-Type")
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/login", form)

            let broken = try await caller.send(.post, "/api/auth/login", json: #"{"login": "x",\#n "password": tru }"#)
            #expect(broken.status == .badRequest)
            #expect(try Self.problem(broken).detail.hasPrefix("The body is not valid JSON: unexpected input at line 2, column "))
            let truncated = try await caller.send(.post, "/api/auth/login", json: #"{"login": "x", "password": "#)
            #expect(try Self.problem(truncated).detail.contains("end of file"))
            let array = try await caller.send(.post, "/api/auth/login", json: "[1, 2]")
            #expect(array.status == .badRequest)
        }
    }

    @Test func failedLoginsAreThrottledPerAccountAndRecoverAfterTheWindow() async throws {
        // The window (from the first failure) is wide enough for three bcrypt checks and the
        // locked attempt on a loaded machine; recovery is then awaited, not slept for.
        try await Self.app(["LOGIN_MAX_FAILURES": "3", "LOGIN_WINDOW_SECONDS": "20"]).test(.router) { client in
            let caller = Caller(client: client)
            let name = uniqueName("erin").replacingOccurrences(of: "-", with: "_")
            #expect(try await caller.register(name).status == .created)
            for _ in 0..<3 { #expect(try await caller.login(name, "wrong password").status == .unauthorized) }
            // The account is now locked for everyone, even with the right password and from elsewhere…
            let locked = try await Caller(client: client).login(name, "correct horse battery")
            #expect(locked.status == .tooManyRequests)
            let retryAfter = try #require(Int(locked.headers[.retryAfter] ?? ""))
            #expect((1...20).contains(retryAfter), "Retry-After \(retryAfter)")
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/login", locked)
            // …until the window passes (a refused attempt does not extend it).
            try await waitFor("the right password to be accepted once the 20 s window has passed", every: .seconds(1)) {
                let answer = try await caller.login(name, "correct horse battery").status
                #expect(answer == .ok || answer == .tooManyRequests, "\(answer)")
                return answer == .ok
            }
        }
    }

    @Test func failedLoginsAreThrottledPerAddress() async throws {
        try await Self.app(["LOGIN_MAX_FAILURES": "3", "LOGIN_WINDOW_SECONDS": "60"]).test(.router) { client in
            let caller = Caller(client: client)
            // Three different unknown accounts from one address exhaust the address.
            for index in 0..<3 { _ = try await caller.login(uniqueName("ghost\(index)"), "whatever1") }
            #expect(try await caller.login(uniqueName("ghost"), "whatever1").status == .tooManyRequests)
            // Another address is unaffected.
            #expect(try await Caller(client: client).login(uniqueName("ghost"), "whatever1").status == .unauthorized)
        }
    }

    @Test func registrationsAreLimitedPerAddress() async throws {
        try await Self.app(["REGISTRATIONS_PER_HOUR": "2"]).test(.router) { client in
            let caller = Caller(client: client)
            for _ in 0..<2 { #expect(try await caller.register(uniqueName("f").replacingOccurrences(of: "-", with: "_")).status == .created) }
            let third = try await caller.register(uniqueName("f").replacingOccurrences(of: "-", with: "_"))
            #expect(third.status == .tooManyRequests)
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/register", third)
        }
    }

    @Test func adminRoutesAcceptAdminTokensOrTheAdminKeyOnly() async throws {
        let dependencies = try await WebAPIRouteTests.liveDependencies(["JWT_SECRET": Self.secret, "TRUST_PROXY": "true", "ADMIN_API_KEY": "admin-key-0123456789"])
        try await Migrator().migrate(on: dependencies.clients.postgres)
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let caller = Caller(client: client)
            let name = uniqueName("grace").replacingOccurrences(of: "-", with: "_")
            let token = try Self.decode(Token.self, try await caller.register(name)).accessToken

            let anonymous = try await caller.send(.get, "/api/admin/users")
            #expect(anonymous.status == .unauthorized)
            let plainUser = try await caller.send(.get, "/api/admin/users", token: token)
            #expect(plainUser.status == .forbidden)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/admin/users", plainUser)
            let wrongKey = try await caller.send(.get, "/api/admin/users", headers: [.adminKey: "admin-key-0123456780"])
            #expect(wrongKey.status == .forbidden)
            #expect(try Self.problem(wrongKey).field == "X-Admin-Key")

            let withKey = try await caller.send(.get, "/api/admin/users?limit=5", headers: [.adminKey: "admin-key-0123456789"])
            #expect(withKey.status == .ok)
            WebAPIRouteTests.checkContract(contract, "GET", "/api/admin/users", withKey)

            // Promotion takes effect on the same token, without logging in again.
            _ = try await dependencies.users.setAdmin(name, true)
            #expect(try await caller.send(.get, "/api/admin/users", token: token).status == .ok)
            _ = try await dependencies.users.setAdmin(name, false)
            #expect(try await caller.send(.get, "/api/admin/users", token: token).status == .forbidden)

            let badLimit = try await caller.send(.get, "/api/admin/users?limit=1000", headers: [.adminKey: "admin-key-0123456789"])
            #expect(badLimit.status == .badRequest)
            #expect(try Self.problem(badLimit).field == "limit")
        }
    }

    @Test func withoutAnAdminKeyConfiguredTheHeaderIsRefused() async throws {
        try await Self.app(["ADMIN_API_KEY": ""]).test(.router) { client in
            let response = try await Caller(client: client).send(.get, "/api/admin/users", headers: [.adminKey: "anything-at-all-123"])
            #expect(response.status == .forbidden)
            #expect(try Self.problem(response).detail.contains("disabled"))
        }
    }

    @Test func protectedRoutesAnswer503NotSuccessWhenTheRevocationListIsDown() async throws {
        let port = try freePort()
        let dependencies = try await WebAPIRouteTests.liveDependencies(["JWT_SECRET": Self.secret, "REDIS_URL": "redis://127.0.0.1:\(port)/0"])
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let response = try await client.execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "5")
            WebAPIRouteTests.checkContract(contract, "GET", "/api/auth/me", response)
        }
    }

    @Test func tokensCarryTheDocumentedClaims() async throws {
        let tokens = await AccessTokens(secret: Self.secret, issuer: "stockhub", lifetime: 600)
        let user = UUID()
        let issued = try await tokens.issue(for: user)
        let claims = try await tokens.verify(issued.token)
        #expect(claims.userID == user && claims.iss.value == "stockhub" && !claims.jti.value.isEmpty)
        #expect(abs(claims.exp.value.timeIntervalSince(claims.iat.value) - 600) < 1)
        // Within the 30 s leeway an expired token still passes; beyond it, not.
        _ = try await tokens.verify(issued.token, now: issued.expiresAt.addingTimeInterval(20))
        await #expect(throws: TokenRejection.expired) { try await tokens.verify(issued.token, now: issued.expiresAt.addingTimeInterval(40)) }
    }
}

@Suite("Admin bootstrap command")
struct AdminBootstrapTests {
    @Test func createThenPromoteAndDemoteFromTheCommandLine() async throws {
        var environment = TestServices.environment()
        environment["STOCKHUB_ADMIN_PASSWORD"] = "bootstrap password 1"
        environment["BCRYPT_COST"] = "10"
        let name = uniqueName("root").replacingOccurrences(of: "-", with: "_")
        let webAPI = try BuiltProducts.path("WebAPI")
        let (created, output) = try await ChildProcess.run(webAPI, ["admin", "create", "--username", name, "--email", "\(name)@example.com"], environment: environment)
        #expect(created == 0, "\(output)")
        #expect(output.contains("created admin \(name)"))
        let users = UserRepository(db: PostgresClient(settings: try TestServices.postgresSettings(poolSize: 1)))
        #expect(try await users.findForLogin(name)?.0.isAdmin == true)

        #expect(try await ChildProcess.run(webAPI, ["admin", "demote", name], environment: environment).0 == 0)
        #expect(try await users.findForLogin(name)?.0.isAdmin == false)
        #expect(try await ChildProcess.run(webAPI, ["admin", "promote", "\(name)@EXAMPLE.com"], environment: environment).0 == 0)
        #expect(try await users.findForLogin(name)?.0.isAdmin == true)

        let (missing, message) = try await ChildProcess.run(webAPI, ["admin", "promote", "nobody_\(name)"], environment: environment)
        #expect(missing == 1 && message.contains("no account"))
        environment["STOCKHUB_ADMIN_PASSWORD"] = "short"
        let (weak, refusal) = try await ChildProcess.run(webAPI, ["admin", "create", "--username", name + "2", "--email", "\(name)2@example.com"], environment: environment)
        // A validation error: argument-parser's usage exit code (64), with the rule that was broken.
        #expect(weak == 64 && refusal.contains("must be at least 8 bytes, got 5"), "\(weak): \(refusal)")
        #expect(try await users.findForLogin(name + "2") == nil, "no account is made with a refused password")
    }
}
