import Foundation
import Yams

/// The API's contract, `Sources/WebAPI/Resources/openapi.yaml`, read so tests can hold the
/// server to it: every route documented, every response shaped as documented.
struct OpenAPIContract: @unchecked Sendable {  // read-only after load
    let document: [String: Any]

    static func load() throws -> OpenAPIContract {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/WebAPI/Resources/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let document = try Yams.load(yaml: text) as? [String: Any] else { throw TestSetupError("openapi.yaml is not a mapping") }
        return OpenAPIContract(document: document)
    }

    var paths: [String: [String: Any]] { (document["paths"] as? [String: [String: Any]]) ?? [:] }

    /// (METHOD, path) pairs the document describes.
    var operations: Set<String> {
        Set(paths.flatMap { path, item in
            item.keys.filter { ["get", "put", "post", "delete", "patch", "head", "options"].contains($0) }.map { "\($0.uppercased()) \(path)" }
        })
    }

    /// Names of the security schemes an operation accepts (sorted); empty for public operations.
    func securitySchemes(method: String, path: String) -> [String] {
        guard let operation = paths[path]?[method.lowercased()] as? [String: Any],
              let security = operation["security"] as? [[String: Any]] else { return [] }
        return security.flatMap { $0.keys }.sorted()
    }

    /// The schema of an operation's parameter (`in` query, path or header), to hold requests to it.
    func parameterSchema(method: String, path: String, name: String) -> [String: Any]? {
        guard let operation = paths[path]?[method.lowercased()] as? [String: Any],
              let parameters = operation["parameters"] as? [Any] else { return nil }
        let parameter = parameters.compactMap { resolve($0) as? [String: Any] }.first { $0["name"] as? String == name }
        return resolve(parameter?["schema"]) as? [String: Any]
    }

    /// Problems with a response, empty when it matches the documented status, media type and schema.
    func violations(method: String, path: String, status: Int, contentType: String?, body: Data) -> [String] {
        guard let operation = paths[path]?[method.lowercased()] as? [String: Any] else {
            return ["\(method) \(path) is not in openapi.yaml"]
        }
        guard let responses = operation["responses"] as? [String: Any],
              let response = resolve(responses[String(status)] ?? responses["default"]) as? [String: Any] else {
            return ["\(method) \(path) answered \(status), which openapi.yaml does not list"]
        }
        guard let content = response["content"] as? [String: Any] else { return body.isEmpty ? [] : ["\(status) has a body but no documented content"] }
        let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let media = content[mediaType] as? [String: Any] else {
            return ["\(method) \(path) \(status) answered \(mediaType), documented: \(content.keys.sorted())"]
        }
        guard let schema = media["schema"] else { return [] }
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: body) else {
            return ["\(method) \(path) \(status) body is not JSON"]
        }
        return validate(json, against: schema, at: "$")
    }

    /// Checks a value against the subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) the
    /// document uses. Every problem names the JSON path and the rule it breaks. A keyword this
    /// checker does not know is reported too, so the document cannot outgrow it unnoticed.
    func validate(_ value: JSONValue, against rawSchema: Any, at location: String) -> [String] {
        if let allowed = rawSchema as? Bool { return allowed ? [] : ["\(location): the schema false admits nothing"] }
        guard let schema = resolve(rawSchema) as? [String: Any] else { return ["\(location): unreadable schema"] }
        var problems = schema.keys.filter { !Self.checkedKeywords.contains($0) && !Self.annotationKeywords.contains($0) }.sorted()
            .map { "\(location): schema keyword \($0) is not checked by OpenAPIContract.validate" }
        if let types = Self.typeNames(schema["type"]), !types.contains(where: value.matches) {
            return problems + ["\(location): type \(types.joined(separator: "|")): got \(value)"]
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { Self.jsonEquals($0, value) }) {
            problems.append("\(location): enum: \(value) not in \(allowed)")
        }
        problems += compositionProblems(value, schema, location)
        switch value {
        case .string(let text): problems += Self.stringProblems(text, schema, location)
        case .integer, .number: problems += Self.numberProblems(value, schema, location)
        case .object(let object): problems += objectProblems(object, schema, location)
        case .array(let array):
            if let minimum = schema["minItems"] as? Int, array.count < minimum {
                problems.append("\(location): minItems \(minimum): \(array.count) items")
            }
            if let maximum = schema["maxItems"] as? Int, array.count > maximum {
                problems.append("\(location): maxItems \(maximum): \(array.count) items")
            }
            if let items = schema["items"] {
                for (index, element) in array.enumerated() { problems += validate(element, against: items, at: "\(location)[\(index)]") }
            }
        case .bool, .null: break
        }
        if let format = schema["format"] as? String, !Self.knownFormats.contains(format) {
            problems.append("\(location): format \(format) is not checked by OpenAPIContract.validate")
        }
        return problems
    }

    /// Keywords `validate` enforces.
    static let checkedKeywords: Set<String> = [
        "type", "enum", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "allOf", "anyOf", "oneOf", "$ref",
    ]
    /// Keywords that say nothing about validity.
    static let annotationKeywords: Set<String> = ["description", "title", "default", "example", "examples", "deprecated", "readOnly", "writeOnly", "$comment"]
    static let knownFormats: Set<String> = ["date-time", "date", "uuid", "email", "int32", "int64", "float", "double"]

    private func objectProblems(_ object: [String: JSONValue], _ schema: [String: Any], _ location: String) -> [String] {
        var problems: [String] = []
        let properties = (schema["properties"] as? [String: Any]) ?? [:]
        for name in (schema["required"] as? [String]) ?? [] where object[name] == nil {
            problems.append("\(location): required: missing \(name)")
        }
        for (name, child) in object.sorted(by: { $0.key < $1.key }) {
            if let childSchema = properties[name] {
                problems += validate(child, against: childSchema, at: "\(location).\(name)")
            } else if (schema["additionalProperties"] as? Bool) == false {
                problems.append("\(location): additionalProperties false: undocumented property \(name)")
            } else if let additional = schema["additionalProperties"] as? [String: Any] {
                problems += validate(child, against: additional, at: "\(location).\(name)")
            }
        }
        return problems
    }

    private func compositionProblems(_ value: JSONValue, _ schema: [String: Any], _ location: String) -> [String] {
        var problems: [String] = []
        for branch in (schema["allOf"] as? [Any]) ?? [] { problems += validate(value, against: branch, at: location) }
        if let branches = schema["anyOf"] as? [Any] {
            let outcomes = branches.map { validate(value, against: $0, at: location) }
            if !outcomes.contains(where: \.isEmpty) {
                problems.append("\(location): anyOf: matches none of \(branches.count) schemas (\(outcomes.map { $0.joined(separator: "; ") }.joined(separator: " | ")))")
            }
        }
        if let branches = schema["oneOf"] as? [Any] {
            let matching = branches.filter { validate(value, against: $0, at: location).isEmpty }.count
            if matching != 1 { problems.append("\(location): oneOf: matches \(matching) of \(branches.count) schemas, not exactly 1") }
        }
        return problems
    }

    /// Lengths count Unicode code points, as JSON Schema does (not bytes, not grapheme clusters).
    private static func stringProblems(_ text: String, _ schema: [String: Any], _ location: String) -> [String] {
        var problems: [String] = []
        let length = text.unicodeScalars.count
        if let minimum = schema["minLength"] as? Int, length < minimum {
            problems.append("\(location): minLength \(minimum): \(length) characters in \(quoted(text))")
        }
        if let maximum = schema["maxLength"] as? Int, length > maximum {
            problems.append("\(location): maxLength \(maximum): \(length) characters in \(quoted(text))")
        }
        if let pattern = schema["pattern"] as? String {
            if let regex = try? NSRegularExpression(pattern: icuPattern(pattern)) {
                if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    problems.append("\(location): pattern \(pattern): \(quoted(text)) does not match")
                }
            } else {
                problems.append("\(location): pattern \(pattern) is not a regular expression this checker can read")
            }
        }
        if let format = schema["format"] as? String, StringFormat.accepts(text, format: format) == false {
            problems.append("\(location): format \(format): \(quoted(text)) is not a valid \(format)")
        }
        return problems
    }

    private static func numberProblems(_ value: JSONValue, _ schema: [String: Any], _ location: String) -> [String] {
        guard let number = value.numericValue else { return [] }
        var problems: [String] = []
        if let minimum = numeric(schema["minimum"]), number < minimum { problems.append("\(location): minimum \(schema["minimum"]!): got \(value)") }
        if let maximum = numeric(schema["maximum"]), number > maximum { problems.append("\(location): maximum \(schema["maximum"]!): got \(value)") }
        // OpenAPI 3.1 (JSON Schema 2020-12) gives the bound itself; 3.0 a boolean beside minimum/maximum.
        if let bound = numeric(schema["exclusiveMinimum"]) ?? ((schema["exclusiveMinimum"] as? Bool) == true ? numeric(schema["minimum"]) : nil),
           number <= bound {
            problems.append("\(location): exclusiveMinimum \(bound): got \(value)")
        }
        if let bound = numeric(schema["exclusiveMaximum"]) ?? ((schema["exclusiveMaximum"] as? Bool) == true ? numeric(schema["maximum"]) : nil),
           number >= bound {
            problems.append("\(location): exclusiveMaximum \(bound): got \(value)")
        }
        if let divisor = numeric(schema["multipleOf"]), divisor > 0 {
            let quotient = number / divisor
            if abs(quotient - quotient.rounded()) > 1e-9 * max(1, abs(quotient)) { problems.append("\(location): multipleOf \(divisor): got \(value)") }
        }
        if case .integer(let integer) = value, let format = schema["format"] as? String {
            let range: ClosedRange<Int64>? = format == "int32" ? Int64(Int32.min)...Int64(Int32.max) : nil
            if let range, !range.contains(integer) { problems.append("\(location): format \(format): \(integer) is out of range") }
        }
        if case .number(let fraction) = value, fraction.rounded() != fraction, ["int32", "int64"].contains(schema["format"] as? String) {
            problems.append("\(location): format \(schema["format"]!): \(fraction) is not a whole number")
        }
        return problems
    }

    /// `type` is a name or, in OpenAPI 3.1, a list of names (`[string, "null"]`).
    private static func typeNames(_ node: Any?) -> [String]? {
        if let name = node as? String { return [name] }
        return node as? [String]
    }

    /// A YAML scalar (as Yams loads it) equal to a JSON value, types kept apart: `1` is not `"1"`.
    static func jsonEquals(_ scalar: Any, _ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): (scalar as? String) == text
        case .bool(let flag): (scalar as? Bool) == flag
        case .integer, .number: numeric(scalar).map { $0 == value.numericValue } ?? false
        case .null: scalar is NSNull
        case .object, .array: false
        }
    }

    private static func numeric(_ node: Any?) -> Double? {
        guard let node, !(node is Bool) else { return nil }
        if let integer = node as? Int { return Double(integer) }
        if let integer = node as? Int64 { return Double(integer) }
        return node as? Double
    }

    /// The value as a Swift literal, so control characters show.
    private static func quoted(_ text: String) -> String {
        String(reflecting: text.unicodeScalars.count > 80 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(80))) + "…" : text)
    }

    /// JSON Schema patterns are ECMA-262 regular expressions; NSRegularExpression is ICU's.
    /// Where their meanings differ for what a contract writes, the pattern is rewritten:
    /// ECMA's `$` (no `m` flag) matches only at the very end, ICU's also before a final line
    /// terminator, so `^[a-z]+$` would pass "abc\n"; and ECMA's `\d` and `\w` are ASCII-only.
    static func icuPattern(_ ecma: String) -> String {
        var result = ""
        var inClass = false
        var characters = ecma.makeIterator()
        while let character = characters.next() {
            switch character {
            case "\\":
                guard let escaped = characters.next() else { result.append("\\"); continue }
                switch (escaped, inClass) {
                case ("d", false): result += "[0-9]"
                case ("d", true): result += "0-9"
                case ("D", false): result += "[^0-9]"
                case ("w", false): result += "[A-Za-z0-9_]"
                case ("w", true): result += "A-Za-z0-9_"
                case ("W", false): result += "[^A-Za-z0-9_]"
                default: result += "\\\(escaped)"
                }
            case "[" where !inClass: inClass = true; result.append(character)
            case "]" where inClass: inClass = false; result.append(character)
            case "$" where !inClass: result += "\\z"
            default: result.append(character)
            }
        }
        return result
    }

    /// Follows `$ref: "#/components/…"` pointers.
    func resolve(_ node: Any?) -> Any? {
        guard let mapping = node as? [String: Any], let ref = mapping["$ref"] as? String else { return node }
        var current: Any? = document
        for part in ref.dropFirst(2).split(separator: "/") { current = (current as? [String: Any])?[String(part)] }
        return resolve(current)
    }
}

/// A decoded JSON value that keeps booleans and numbers apart.
enum JSONValue: Decodable, CustomStringConvertible {
    case object([String: JSONValue]), array([JSONValue]), string(String), integer(Int64), number(Double), bool(Bool), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func matches(_ type: String) -> Bool {
        switch (type, self) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
             ("integer", .integer), ("number", .integer), ("number", .number): true
        // JSON Schema counts 2.0 as an integer: the type is about the value, not its spelling.
        case ("integer", .number(let value)): value.rounded() == value
        default: false
        }
    }

    var numericValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    var scalarText: String {
        switch self {
        case .string(let text): text
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .bool(let value): String(value)
        default: description
        }
    }

    var description: String {
        switch self {
        case .object(let object): "{\(object.keys.sorted().joined(separator: ","))}"
        case .array(let array): "[\(array.count) items]"
        case .null: "null"
        default: scalarText
        }
    }
}

/// The string formats the contract uses, checked as JSON Schema 2020-12 defines them: `date-time`
/// and `date` are RFC 3339's `date-time` and `full-date`, `uuid` RFC 9562's string form, `email`
/// an RFC 5321 mailbox (ASCII; `idn-email` would be RFC 6531).
enum StringFormat {
    /// Whether `text` is in the format; nil for formats that constrain no strings (int32, double…).
    static func accepts(_ text: String, format: String) -> Bool? {
        switch format {
        case "date-time": dateTime(text)
        case "date": date(text[...])
        case "uuid": uuid(text)
        case "email": email(text)
        default: nil
        }
    }

    static func date(_ text: Substring) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].utf8.count == 4, parts[1].utf8.count == 2, parts[2].utf8.count == 2,
              let year = number(parts[0]), let month = number(parts[1]), let day = number(parts[2]), (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return (1...[31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]).contains(day)
    }

    /// full-date "T" partial-time time-offset; T and Z may be lower case (RFC 3339 section 5.6).
    static func dateTime(_ text: String) -> Bool {
        guard let separator = text.firstIndex(where: { $0 == "T" || $0 == "t" }), date(text[..<separator]) else { return false }
        var time = text[text.index(after: separator)...]
        if time.last == "Z" || time.last == "z" {
            time = time.dropLast()
        } else {
            let offset = time.suffix(6)
            guard offset.utf8.count == 6, offset.first == "+" || offset.first == "-",
                  clock(offset.dropFirst(), parts: 2, limits: [23, 59]) else { return false }
            time = time.dropLast(6)
        }
        if let dot = time.firstIndex(of: ".") {
            guard isDigits(time[time.index(after: dot)...]) else { return false }
            time = time[..<dot]
        }
        return clock(time, parts: 3, limits: [23, 59, 60])  // 60: a leap second
    }

    static func uuid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        return bytes.enumerated().allSatisfy { index, byte in
            [8, 13, 18, 23].contains(index) ? byte == UInt8(ascii: "-") : isHexDigit(byte)
        }
    }

    /// Local-part "@" ( Domain / address-literal ), RFC 5321 section 4.1.2, with its length limits.
    static func email(_ text: String) -> Bool {
        guard text.utf8.allSatisfy({ $0 < 0x80 }), let at = text.lastIndex(of: "@") else { return false }
        let local = text[..<at], domain = text[text.index(after: at)...]
        guard (1...64).contains(local.utf8.count), (1...255).contains(domain.utf8.count) else { return false }
        return (dotAtom(local) || quotedString(local)) && (hostname(domain) || addressLiteral(domain))
    }

    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")

    private static func dotAtom(_ text: Substring) -> Bool {
        text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0.allSatisfy(atext.contains) }
    }

    private static func quotedString(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else { return false }
        var index = 1
        while index < bytes.count - 1 {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count - 1, (32...126).contains(bytes[index + 1]) else { return false }
                index += 2
            } else {
                guard (32...126).contains(byte), byte != UInt8(ascii: "\"") else { return false }
                index += 1
            }
        }
        return true
    }

    private static func hostname(_ text: Substring) -> Bool {
        text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { isHexDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func addressLiteral(_ text: Substring) -> Bool {
        guard text.first == "[", text.last == "]" else { return false }
        let inner = text.dropFirst().dropLast()
        if inner.hasPrefix("IPv6:") {
            let address = inner.dropFirst(5)
            return address.contains(":") && address.utf8.allSatisfy { isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
        }
        let octets = inner.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { $0.utf8.count <= 3 && (number($0).map { $0 <= 255 } ?? false) }
    }

    /// `HH:MM[:SS]`, two digits each, each at most its limit.
    private static func clock(_ text: Substring, parts count: Int, limits: [Int]) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == count else { return false }
        return zip(parts, limits).allSatisfy { part, limit in part.utf8.count == 2 && (number(part).map { $0 <= limit } ?? false) }
    }

    private static func number(_ text: Substring) -> Int? {
        isDigits(text) ? Int(text) : nil
    }

    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }
}
