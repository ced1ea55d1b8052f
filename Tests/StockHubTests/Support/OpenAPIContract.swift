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

    /// Checks a value against the subset of JSON Schema the document uses.
    func validate(_ value: JSONValue, against rawSchema: Any, at location: String) -> [String] {
        guard let schema = resolve(rawSchema) as? [String: Any] else { return ["\(location): unreadable schema"] }
        var problems: [String] = []
        if let type = schema["type"] as? String, !value.matches(type) {
            return ["\(location): expected \(type), got \(value)"]
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == value.scalarText }) {
            problems.append("\(location): \(value) not in \(allowed)")
        }
        if case .object(let object) = value {
            let properties = (schema["properties"] as? [String: Any]) ?? [:]
            for name in (schema["required"] as? [String]) ?? [] where object[name] == nil {
                problems.append("\(location): missing required \(name)")
            }
            for (name, child) in object {
                if let childSchema = properties[name] {
                    problems += validate(child, against: childSchema, at: "\(location).\(name)")
                } else if (schema["additionalProperties"] as? Bool) == false {
                    problems.append("\(location): undocumented property \(name)")
                }
            }
        }
        if case .array(let array) = value, let items = schema["items"] {
            for (index, element) in array.enumerated() { problems += validate(element, against: items, at: "\(location)[\(index)]") }
        }
        return problems
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
        default: false
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
