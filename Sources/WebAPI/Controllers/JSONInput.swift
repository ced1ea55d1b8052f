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
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            throw Self.problem(error)
        }
    }

    static func problem(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String? {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
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
            // Foundation's underlying error carries the line and column of a syntax error.
            let place = context.underlyingError.map { " (\(($0 as NSError).userInfo[NSDebugDescriptionErrorKey] ?? $0))" } ?? ""
            if let field = path(context) { return .badRequest(field: field, "\(field): \(context.debugDescription)") }
            return .badRequest(field: nil, "The body is not valid JSON\(place).")
        @unknown default:
            return .badRequest(field: nil, "The body could not be read as JSON.")
        }
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
