@testable import Forecasting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// The contract checker (`Support/OpenAPIContract.swift`) must be able to fail: each rule rejects
/// a value that breaks it and admits one that keeps it. And the document must not promise more
/// than the server accepts: a request that `openapi.yaml` calls valid (what a fuzzer such as
/// schemathesis sends) is never answered 400.
@Suite("OpenAPI contract: the checker's rules and the document's request rules")
struct OpenAPIContractTests {
    let contract: OpenAPIContract
    /// A checker with no document behind it, for inline schemas.
    let bare = OpenAPIContract(document: [:])

    init() throws { contract = try OpenAPIContract.load() }

    func problems(_ value: JSONValue, _ schema: [String: Any]) -> [String] {
        bare.validate(value, against: schema, at: "$")
    }

    /// Every `valid` value passes; every `invalid` one fails with a problem that starts with the
    /// path and the rule (`$: maxLength 3`).
    func expectRule(_ schema: [String: Any], _ rule: String, valid: [JSONValue], invalid: [JSONValue],
                    sourceLocation: SourceLocation = #_sourceLocation) {
        for value in valid {
            let found = problems(value, schema)
            #expect(found.isEmpty, "\(value) should keep \(rule): \(found)", sourceLocation: sourceLocation)
        }
        for value in invalid {
            let found = problems(value, schema)
            #expect(found.contains { $0.hasPrefix("$: \(rule)") }, "\(value) should break \(rule): \(found)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - The checker

    @Test func formatDateTimeIsAnRFC3339DateTime() {
        expectRule(["type": "string", "format": "date-time"], "format date-time",
                   valid: ["2024-02-29T12:30:00Z", "2024-05-01T12:00:00.123456+02:00", "1998-12-31t23:59:60z", "2024-05-01T00:00:00-00:00"],
                   invalid: ["2023-02-29T12:30:00Z", "2024-05-01 12:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z",
                             "2024-05-01T12:00:00", "2024-05-01T12:00Z", "2024-05-01T12:00:00+0200", "2024-05-01T12:00:00.Z",
                             "2024-05-01", "\u{FF12}024-05-01T12:00:00Z"])
        // Like every format, it says nothing about values of other types.
        #expect(problems(5, ["format": "date-time"]).isEmpty)
    }

    @Test func formatDateIsAnRFC3339FullDate() {
        expectRule(["type": "string", "format": "date"], "format date",
                   valid: ["2024-02-29", "2000-02-29", "1999-12-31"],
                   invalid: ["2023-02-29", "1900-02-29", "2024-13-01", "2024-04-31", "2024-5-01", "24-05-01", "2024-05-01T00:00:00Z", ""])
    }

    @Test func formatUUIDIsTheHyphenatedHexForm() {
        expectRule(["type": "string", "format": "uuid"], "format uuid",
                   valid: ["0f5e8a9c-6f1b-4c1e-9a51-3f2b8d1e7c44", "0F5E8A9C-6F1B-4C1E-9A51-3F2B8D1E7C44"],
                   invalid: ["0f5e8a9c6f1b4c1e9a513f2b8d1e7c44", "{0f5e8a9c-6f1b-4c1e-9a51-3f2b8d1e7c44}",
                             "0f5e8a9c-6f1b-4c1e-9a51-3f2b8d1e7c4g", "0f5e8a9c-6f1b-4c1e-9a513-f2b8d1e7c44", "job-1"])
    }

    @Test func formatEmailIsAnRFC5321Mailbox() {
        expectRule(["type": "string", "format": "email"], "format email",
                   valid: ["a@b.co", "o'brien+tag@example.com", "!#$%&'*+-/=?^_`{|}~@x.io", #""quoted local"@example.com"#,
                           "user@localhost", "user@[127.0.0.1]", "user@[IPv6:2001:db8::1]"],
                   invalid: ["no-at-sign", "a@", "@b.co", "a..b@example.com", ".a@example.com", "a@-example.com",
                             "a@example..com", "\u{E9}@example.com", "sp ace@example.com", "a@[300.0.0.1]",
                             .string(String(repeating: "a", count: 65) + "@example.com")])
    }

    @Test func aFormatTheCheckerDoesNotKnowIsReportedNotIgnored() {
        #expect(problems("example.com", ["type": "string", "format": "hostname"]) == ["$: format hostname is not checked by OpenAPIContract.validate"])
    }

    @Test func patternIsAnUnanchoredECMAScriptSearch() {
        expectRule(["type": "string", "pattern": "b+"], "pattern b+", valid: ["abbc", "b"], invalid: ["", "ac"])
        // ECMA-262's `$` is the end of the input; ICU's alone would also match before a final newline.
        expectRule(["type": "string", "pattern": "^[a-z]+$"], "pattern ^[a-z]+$", valid: ["abc"], invalid: ["abc\n", "ABC", "ab c", ""])
        // ECMA-262's `\d` is 0-9 only; ICU's alone would take any decimal digit.
        expectRule(["pattern": #"^\d{2}$"#], #"pattern ^\d{2}$"#, valid: ["42"], invalid: ["\u{664}\u{662}", "4"])
        #expect(problems("x", ["pattern": "("]).first?.contains("not a regular expression") == true)
        #expect(problems(5, ["pattern": "^a$"]).isEmpty)
    }

    @Test func lengthsCountCodePointsNotBytesOrCharacters() {
        // U+00E9 is one code point; e + U+0301 two (one Character); U+1F600 one (two UTF-16 units, four bytes).
        expectRule(["maxLength": 1], "maxLength 1", valid: ["\u{E9}", "\u{1F600}", ""], invalid: ["e\u{301}", "ab"])
        expectRule(["minLength": 2], "minLength 2", valid: ["e\u{301}", "ab"], invalid: ["\u{E9}", "\u{1F600}", ""])
        #expect(problems(12345, ["maxLength": 1]).isEmpty)
    }

    @Test func numericBoundsInBothOpenAPIForms() {
        let page: [String: Any] = ["type": "integer", "minimum": 1, "maximum": 200]
        expectRule(page, "minimum 1", valid: [1, 200], invalid: [0, -5])
        expectRule(page, "maximum 200", valid: [1, 200], invalid: [201])
        expectRule(["type": "number", "minimum": 0, "maximum": 1], "maximum 1", valid: [0.0, 0.5, 1], invalid: [1.0001])
        expectRule(["type": "number", "minimum": 0], "minimum 0", valid: [0.0, 3], invalid: [-0.001])
        // OpenAPI 3.1 gives the bound itself; 3.0 a flag beside minimum or maximum.
        expectRule(["exclusiveMinimum": 0], "exclusiveMinimum", valid: [0.5, 1], invalid: [0, -1])
        expectRule(["maximum": 10, "exclusiveMaximum": true], "exclusiveMaximum", valid: [9.99], invalid: [10])
        expectRule(["multipleOf": 0.5], "multipleOf", valid: [1.5, 2], invalid: [1.25])
        expectRule(["type": "integer", "format": "int32"], "format int32", valid: [2_147_483_647, -2_147_483_648], invalid: [2_147_483_648])
        #expect(problems("5", ["minimum": 10]).isEmpty)
    }

    @Test func arrayLengthsAndItems() {
        let pair: [String: Any] = ["type": "array", "minItems": 1, "maxItems": 2]
        expectRule(pair, "minItems 1", valid: [[1], [1, 2]], invalid: [[]])
        expectRule(pair, "maxItems 2", valid: [[1]], invalid: [[1, 2, 3]])
        #expect(problems([1, "two"], ["type": "array", "items": ["type": "integer"]]) == ["$[1]: type integer: got two"])
    }

    @Test func enumComparesValuesWithTheirTypes() {
        expectRule(["enum": ["ok", 1, true] as [Any]], "enum", valid: ["ok", 1, 1.0, true], invalid: ["OK", "1", "true", false, 2])
    }

    @Test func typeListsAndIntegralNumbers() {
        let nullableDate: [String: Any] = ["type": ["string", "null"], "format": "date-time"]
        expectRule(nullableDate, "type string|null", valid: [.null, "2024-01-01T00:00:00Z"], invalid: [5, false])
        expectRule(nullableDate, "format date-time", valid: [.null], invalid: ["2024-01-01"])
        expectRule(["type": "integer"], "type integer", valid: [2, 2.0], invalid: [2.5, "2"])
    }

    @Test func objectsRequiredPropertiesAndAdditionalPropertySchemas() {
        let schema: [String: Any] = [
            "type": "object", "required": ["id"], "properties": ["id": ["type": "string", "format": "uuid"]],
            "additionalProperties": ["type": "integer", "minimum": 0],
        ]
        #expect(problems(["id": "0f5e8a9c-6f1b-4c1e-9a51-3f2b8d1e7c44", "extra": 3], schema).isEmpty)
        #expect(problems(["extra": -1], schema) == ["$: required: missing id", "$.extra: minimum 0: got -1"])
        #expect(problems(["id": "x", "more": 1], ["properties": ["id": ["type": "string"]], "additionalProperties": false])
            == ["$: additionalProperties false: undocumented property more"])
    }

    @Test func anyOfOneOfAndAllOf() {
        let named: [String: Any] = ["anyOf": [["required": ["login"]], ["required": ["username"]]]]
        #expect(problems(["username": "bob"], named).isEmpty)
        #expect(problems(["password": "x"], named).first?.hasPrefix("$: anyOf: matches none of 2 schemas") == true)
        let exactlyOne: [String: Any] = ["oneOf": [["maximum": 10], ["minimum": 5]]]
        #expect(problems(3, exactlyOne).isEmpty)
        #expect(problems(7, exactlyOne) == ["$: oneOf: matches 2 of 2 schemas, not exactly 1"])
        #expect(problems(12, ["allOf": [["minimum": 0], ["maximum": 10]]]) == ["$: maximum 10: got 12"])
    }

    @Test func aKeywordTheCheckerDoesNotKnowIsReportedNotIgnored() {
        #expect(problems([1, 1], ["type": "array", "uniqueItems": true]) == ["$: schema keyword uniqueItems is not checked by OpenAPIContract.validate"])
    }

    @Test func problemsNameTheJSONPathAndTheRule() {
        let schema: [String: Any] = ["type": "object", "properties": [
            "users": ["type": "array", "items": ["type": "object", "properties": ["created_at": ["type": "string", "format": "date-time"]]]],
        ]]
        #expect(problems(["users": [["created_at": "yesterday"]]], schema)
            == [#"$.users[0].created_at: format date-time: "yesterday" is not a valid date-time"#])
    }

    /// The document may only use what the checker enforces, or response checks would pass vacuously.
    @Test func everyKeywordAndFormatTheDocumentUsesIsChecked() {
        var keywords = Set<String>(), formats = Set<String>()
        func collect(_ node: Any?) {
            guard let schema = node as? [String: Any] else { return }
            keywords.formUnion(schema.keys)
            if let format = schema["format"] as? String { formats.insert(format) }
            ((schema["properties"] as? [String: Any])?.values).map { $0.forEach(collect) }
            collect(schema["items"])
            collect(schema["additionalProperties"])
            for key in ["allOf", "anyOf", "oneOf"] { (schema[key] as? [Any])?.forEach(collect) }
        }
        func walk(_ node: Any) {
            if let mapping = node as? [String: Any] {
                for (key, child) in mapping {
                    if key == "schema" { collect(child) } else if key == "schemas", let named = child as? [String: Any] { named.values.forEach(collect) } else { walk(child) }
                }
            } else if let list = node as? [Any] {
                list.forEach(walk)
            }
        }
        walk(contract.document)
        #expect(keywords.contains("pattern") && formats.contains("date-time"), "the walk found the document's schemas")
        let unchecked = keywords.subtracting(OpenAPIContract.checkedKeywords).subtracting(OpenAPIContract.annotationKeywords)
        #expect(unchecked.isEmpty, "openapi.yaml uses keywords the checker ignores: \(unchecked.sorted())")
        #expect(formats.isSubset(of: OpenAPIContract.knownFormats), "unchecked formats: \(formats.subtracting(OpenAPIContract.knownFormats).sorted())")
    }

    // MARK: - The document against the server's input rules

    func schema(_ pointer: String) -> [String: Any] {
        (contract.resolve(["$ref": "#/\(pointer)"]) as? [String: Any]) ?? [:]
    }

    func admits(_ schema: [String: Any], _ value: JSONValue) -> Bool {
        contract.validate(value, against: schema, at: "$").isEmpty
    }

    @Test func pagingBoundsAreTheServers() throws {
        let limit = try #require(contract.parameterSchema(method: "GET", path: "/api/admin/users", name: "limit"))
        let offset = try #require(contract.parameterSchema(method: "GET", path: "/api/admin/users", name: "offset"))
        #expect(limit["minimum"] as? Int == AdminController.limitRange.lowerBound)
        #expect(limit["maximum"] as? Int == AdminController.limitRange.upperBound)
        #expect(limit["default"] as? Int == AdminController.defaultLimit)
        #expect(offset["minimum"] as? Int == AdminController.offsetRange.lowerBound)
        #expect(offset["maximum"] as? Int == AdminController.offsetRange.upperBound)
    }

    /// bcrypt's limit is 72 bytes; JSON Schema counts characters. The schema admits a password
    /// only when its characters alone keep it within 72 bytes, so none it admits is refused.
    @Test func everyPasswordTheSchemaAdmitsTheServerAccepts() {
        let password = schema("components/schemas/RegisterRequest/properties/password")
        func serverAccepts(_ text: String) -> Bool { (try? AccountRules.checkPassword(text)) != nil }
        // The widest character of each tier, at its length and one past it; then the floor and NUL.
        let boundaries: [(text: String, valid: Bool)] = [
            (String(repeating: "a", count: 72), true), (String(repeating: "a", count: 73), false),
            (String(repeating: "\u{7FF}", count: 36), true), (String(repeating: "\u{7FF}", count: 37), false),
            (String(repeating: "\u{FFFD}", count: 24), true), (String(repeating: "\u{FFFD}", count: 25), false),
            (String(repeating: "\u{1F600}", count: 18), true), (String(repeating: "\u{1F600}", count: 19), false),
            ("12345678", true), ("1234567", false), ("abc\u{0}defgh", false),
        ]
        for sample in boundaries {
            #expect(admits(password, .string(sample.text)) == sample.valid, "\(sample.text.utf8.count) bytes")
            #expect(serverAccepts(sample.text) == sample.valid, "\(sample.text.utf8.count) bytes")
        }
        // Random passwords mixing character widths: whatever the schema admits, the server accepts.
        let alphabet: [Character] = ["a", "Z", "7", " ", "~", "\u{1}", "\u{E9}", "\u{7FF}", "\u{20AC}", "\u{FFFD}", "\u{1F600}", "\u{10FFFD}"]
        var random = SplitMix64(seed: 72)
        var admitted = 0
        for _ in 0..<3000 {
            let widest = Int.random(in: 1...alphabet.count, using: &random)
            let text = String((0..<Int.random(in: 1...80, using: &random)).map { _ in alphabet[Int.random(in: 0..<widest, using: &random)] })
            guard admits(password, .string(text)) else { continue }
            admitted += 1
            #expect(serverAccepts(text), "the schema admits \(text.unicodeScalars.count) characters, \(text.utf8.count) bytes")
        }
        #expect(admitted > 300, "the sample reached the schema's edges")
        // What the description owns up to: some passwords within 72 bytes are beyond the schema.
        let mixed = String(repeating: "a", count: 60) + "\u{1F600}"
        #expect(!admits(password, .string(mixed)) && serverAccepts(mixed))
    }

    /// The email pattern is the server's rule, counted in code points on both sides.
    @Test func theEmailPatternIsTheServersRule() {
        let documented = schema("components/schemas/RegisterRequest/properties/email")
        // format email (ASCII RFC 5321) narrows the document further; the pattern alone is the server's rule.
        let rule: [String: Any] = ["pattern": documented["pattern"] ?? "", "maxLength": documented["maxLength"] ?? 0]
        func serverAccepts(_ text: String) -> Bool { (try? AccountRules.checkEmail(text)) != nil }
        let local64 = String(repeating: "l", count: 64), domain = String(repeating: "d", count: 254 - 64 - 1 - 4) + ".com"
        let fixed = [
            "a@b.co", "o'brien+tag@example.com", "\u{E9}@\u{FC}.de", "a@b\u{301}.com", "a@\u{301}b.com", "a@b.\u{301}com",
            "a\u{301}@b.co", "a@b.c\n", "a@b.c ", "a@b..c", "a@.b.c", "a@b.c.", "two@@b.co", "a@b", "@b.co", "a<b@c.de",
            "\(local64)@b.co", "l\(local64)@b.co", "\(local64)@\(domain)", "\(local64)@d\(domain)",
        ]
        #expect(serverAccepts("\(local64)@\(domain)") && !serverAccepts("\(local64)@d\(domain)"), "the samples reach 254 characters")
        let alphabet: [Character] = ["a", "Z", "-", "\u{301}", "\u{E9}", ".", "+", "0", "@", " ", "<", ";", "\"", "\\", "\u{7F}", "\n", "\u{0}"]
        var random = SplitMix64(seed: 254)
        func part(_ count: ClosedRange<Int>) -> String {
            // Mostly characters either side accepts, so that valid addresses are common too.
            String((0..<Int.random(in: count, using: &random)).map { _ in
                alphabet[Int.random(in: 0..<(Int.random(in: 0..<4, using: &random) == 0 ? alphabet.count : 5), using: &random)]
            })
        }
        let generated = (0..<3000).map { _ in "\(part(0...4))@\(part(0...4)).\(part(0...4))" }
        var agreedValid = 0
        for text in fixed + generated {
            #expect(admits(rule, .string(text)) == serverAccepts(text), "\(String(reflecting: text))")
            if serverAccepts(text) { agreedValid += 1 }
        }
        #expect(agreedValid > 100, "the sample holds valid addresses too")
        // Addresses RFC 5321 allows but the server refuses are outside the whole documented schema.
        for text in [#""quoted local"@example.com"#, "user@localhost", "user@[127.0.0.1]"] {
            #expect(!admits(documented, .string(text)) && !serverAccepts(text), "\(text)")
        }
    }

    @Test func theUsernameSchemaIsTheServersRule() {
        let username = schema("components/schemas/RegisterRequest/properties/username")
        func serverAccepts(_ text: String) -> Bool { (try? AccountRules.checkUsername(text)) != nil }
        let alphabet: [Character] = ["a", "Z", "0", "_", ".", "-", " ", "@", "\u{E9}", "\u{301}", "\n", "\u{FF41}"]
        var random = SplitMix64(seed: 32)
        var agreedValid = 0
        for _ in 0..<3000 {
            let text = String((0..<Int.random(in: 0...34, using: &random)).map { _ in
                alphabet[Int.random(in: 0..<(Bool.random(using: &random) ? 6 : alphabet.count), using: &random)]
            })
            #expect(admits(username, .string(text)) == serverAccepts(text), "\(String(reflecting: text))")
            if serverAccepts(text) { agreedValid += 1 }
        }
        #expect(agreedValid > 100)
    }

    /// A symbol the document admits is one the server takes, upper-cased.
    @Test func everySymbolTheDocumentAdmitsTheServerTakes() throws {
        let symbol = try #require(contract.parameterSchema(method: "GET", path: "/api/predictions/{symbol}", name: "symbol"))
        let alphabet: [Character] = ["a", "Z", "0", ".", "-", "/", " ", "%", "\u{E9}", "$"]
        var random = SplitMix64(seed: 10)
        var agreedValid = 0
        for _ in 0..<3000 {
            let text = String((0..<Int.random(in: 0...12, using: &random)).map { _ in
                alphabet[Int.random(in: 0..<(Bool.random(using: &random) ? 5 : alphabet.count), using: &random)]
            })
            let parsed = try? MarketSymbol.parse(text)
            // Both ways for these ASCII-and-é samples.
            #expect(admits(symbol, .string(text)) == (parsed != nil), "\(String(reflecting: text))")
            if let parsed {
                #expect(parsed == text.uppercased())
                agreedValid += 1
            }
        }
        #expect(agreedValid > 100)
    }

    /// A `symbols` list the document admits is queued whole: nothing invalid, never a 400.
    @Test func everySymbolListTheDocumentAdmitsIsQueuedWhole() throws {
        let symbols = try #require(contract.parameterSchema(method: "POST", path: "/api/precompute", name: "symbols"))
        let entries = ["MSFT", "spx", "BRK.B", "a-1", ".", "ABCDEFGHIJ"]
        let fifty = (0..<PredictionsController.maxPrecomputeSymbols).map { "S\($0)" }
        for list in entries + [entries.joined(separator: ","), fifty.joined(separator: ",")] {
            #expect(admits(symbols, .string(list)), "\(list)")
            let parsed = try PredictionsController.symbolList(list)
            #expect(parsed.invalid.isEmpty && !parsed.valid.isEmpty)
        }
        // Beyond the document: empty, too many, no symbol at all (400s), and lists the server
        // forgives (an invalid entry is reported, the rest queued).
        for list in ["", (fifty + ["S50"]).joined(separator: ","), "$$", "MSFT,,SPX", "MSFT, SPX", "MSFT,bad$", "ABCDEFGHIJK"] {
            #expect(!admits(symbols, .string(list)), "\(list)")
        }
        #expect(throws: APIError.self) { try PredictionsController.symbolList((fifty + ["S50"]).joined(separator: ",")) }
        #expect(throws: APIError.self) { try PredictionsController.symbolList("") }
        #expect(throws: APIError.self) { try PredictionsController.symbolList(nil) }
    }

    /// Bodies the LoginRequest schema admits all name an account; the ones it refuses are the 400s.
    @Test func everyLoginBodyTheDocumentAdmitsNamesAnAccount() throws {
        let login = schema("components/schemas/LoginRequest")
        let admitted = [
            #"{"login": "alice", "password": "x"}"#, #"{"username": "alice", "password": ""}"#, #"{"email": "a@b.co", "password": "x"}"#,
            #"{"login": "a", "username": "b", "email": "c", "password": "x", "remember": true}"#,
        ]
        for body in admitted {
            let data = Data(body.utf8)
            #expect(admits(login, try JSONDecoder().decode(JSONValue.self, from: data)), "\(body)")
            #expect(throws: Never.self) { try JSONDecoder().decode(AuthController.LoginRequest.self, from: data).accountName() }
        }
        let refused = [#"{"password": "x"}"#, #"{"login": "", "password": "x"}"#, #"{"login": "", "username": "bob", "password": "x"}"#, #"{"login": "alice"}"#]
        for body in refused {
            #expect(!admits(login, try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))), "\(body)")
        }
    }

    // MARK: - The same promises through the live router

    @Test func requestsTheDocumentAdmitsAreNotRefused() async throws {
        let namespace = uniqueName("test-contract")
        let dependencies = try await WebAPIRouteTests.liveDependencies([
            "JWT_SECRET": AuthTests.secret, "TRUST_PROXY": "true", "ADMIN_API_KEY": "admin-key-0123456789", "REDIS_NAMESPACE": namespace,
        ])
        try await Migrator().migrate(on: dependencies.clients.postgres)
        let token = try await dependencies.tokens.issue(for: UUID()).token
        try await buildApplication(dependencies, logger: Logger(label: "test")).test(.router) { client in
            let caller = AuthTests.Caller(client: client)
            let admin: HTTPFields = [.adminKey: "admin-key-0123456789"]

            // Paging at the documented bounds is served; one past them is a 400 naming the field.
            for query in ["limit=200&offset=1000000", "limit=1&offset=0"] {
                let page = try await caller.send(.get, "/api/admin/users?\(query)", headers: admin)
                #expect(page.status == .ok, "\(query)")
                WebAPIRouteTests.checkContract(contract, "GET", "/api/admin/users", page)
            }
            let pastTheEnd = try await caller.send(.get, "/api/admin/users?offset=1000001", headers: admin)
            #expect(pastTheEnd.status == .badRequest)
            #expect(try AuthTests.problem(pastTheEnd).field == "offset")

            // A percent-encoded symbol is the same symbol (%2E is a fuzzer's way to send ".").
            for path in ["/api/predictions/%4Dsft", "/api/predictions/%2E"] {
                let prediction = try await caller.send(.get, path, token: token)
                #expect(prediction.status == .accepted || prediction.status == .ok, "\(path): \(String(buffer: prediction.body))")
                WebAPIRouteTests.checkContract(contract, "GET", "/api/predictions/{symbol}", prediction)
            }

            // Logins the document admits are 401s when they match no account, never 400 or 500:
            // a NUL in the login (PostgreSQL text cannot hold one) included.
            for body in [#"{"login": "nobody\u0000else", "password": "whatever1"}"#, #"{"username": "nobody-at-all", "password": "\u0000"}"#,
                         #"{"email": "\#(String(repeating: "x", count: 300))@example.com", "password": ""}"#] {
                let response = try await caller.send(.post, "/api/auth/login", json: body)
                #expect(response.status == .unauthorized, "\(body.prefix(60)): \(String(buffer: response.body))")
                WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/login", response)
            }

            // A registration at every documented limit at once is created.
            let name = String((uniqueName("u").replacingOccurrences(of: "-", with: "_") + String(repeating: "z", count: 32)).prefix(32))
            let email = String((name + String(repeating: "e", count: 64)).prefix(64)) + "@example.com"
            let password = String(repeating: "\u{20AC}", count: 24)
            let registerBody = AuthTests.Caller.object(["username": name, "email": email, "password": password])
            #expect(admits(schema("components/schemas/RegisterRequest"), try JSONDecoder().decode(JSONValue.self, from: Data(registerBody.utf8))))
            let registered = try await caller.send(.post, "/api/auth/register", json: registerBody)
            #expect(registered.status == .created, "\(String(buffer: registered.body))")
            WebAPIRouteTests.checkContract(contract, "POST", "/api/auth/register", registered)
            #expect(try await caller.login(email, password).status == .ok)
        }
    }
}

/// Literals for JSON values, so inline cases read as JSON.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .integer(value) }
    init(floatLiteral value: Double) { self = .number(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(uniqueKeysWithValues: elements)) }
}
