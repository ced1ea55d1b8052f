import Foundation
import Hummingbird

/// Reads a JSON request body with the API's rules: `application/json` only (415), at most
/// `limit` bytes (413), and decoding errors that name the field or the place in the text (400).
enum JSONInput {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == "application/json" else {
            throw APIError(.unsupportedMediaType, kind: "unsupported-media-type", title: "Unsupported media type",
                           detail: "Send the body as JSON with Content-Type: application/json" + (contentType.isEmpty ? "." : ", not \(contentType)."),
                           field: "Content-Type")
        }
        var request = request
        let body = try await request.collectBody(upTo: limit)
        let data = Data(buffer: body)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw Self.problem(error, body: data)
        }
    }

    static func problem(_ error: DecodingError, body: Data) -> APIError {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String? {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            // `points[6].close`: an index follows its array's name without a dot.
            let text = keys.reduce(into: "") { text, key in
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? nil : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .badRequest(field: path(context, key), "\(path(context, key) ?? key.stringValue) is required.")
        case .valueNotFound(let type, let context):
            return .badRequest(field: path(context), "\(path(context) ?? "value") must be a \(jsonName(type)), not null.")
        case .typeMismatch(let type, let context):
            return .badRequest(field: path(context), "\(path(context) ?? "The body") must be a \(jsonName(type)).")
        case .dataCorrupted(let context):
            if let field = path(context) { return .badRequest(field: field, "\(field): \(context.debugDescription)") }
            return .badRequest(field: nil, "The body is not valid JSON: \(syntaxProblem(body)).")
        @unknown default:
            return .badRequest(field: nil, "The body could not be read as JSON.")
        }
    }

    /// Where a syntax error is. JSONDecoder on Linux does not say; JSONSerialization gives a
    /// character offset, turned here into a line and column.
    static func syntaxProblem(_ body: Data) -> String {
        if body.isEmpty { return "the body is empty" }
        guard case .failure(let error) = Result(catching: { try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }) else {
            return "it is not the expected structure"
        }
        let message = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        guard let match = message.firstMatch(of: /character (\d+)/), let offset = Int(match.1) else { return message.lowercasedFirst }
        let prefix = body.prefix(offset)
        let line = prefix.filter { $0 == UInt8(ascii: "\n") }.count + 1
        let column = offset - (prefix.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        return "unexpected input at line \(line), column \(column)"
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Int.Type, is Double.Type: "number"
        case is Bool.Type: "boolean"
        default: "\(type)".hasPrefix("Array") ? "array" : "object"
        }
    }
}

private extension String {
    var lowercasedFirst: String { prefix(1).lowercased() + dropFirst() }
}
