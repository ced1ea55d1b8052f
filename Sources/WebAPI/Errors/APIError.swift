import Foundation
import Hummingbird
import NIOCore
import Shared

/// The one error type every route throws. It becomes an RFC 9457 `application/problem+json`
/// body at one boundary (`RequestBoundaryMiddleware`), so every error has the same shape.
struct APIError: Error, Sendable {
    let status: HTTPResponse.Status
    /// Short, stable identifier of the problem kind; also the last part of `type`.
    let kind: String
    let title: String
    let detail: String
    /// The request field (parameter, header or body field) at fault, when there is one.
    let field: String?
    /// The line of an uploaded text body at fault (1 is its first line), when there is one.
    var line: Int?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, kind: String, title: String, detail: String, field: String? = nil) {
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.field = field
    }

    static func badRequest(field: String?, _ detail: String) -> APIError {
        APIError(.badRequest, kind: "invalid-request", title: "Invalid request", detail: detail, field: field)
    }

    static func notFound(_ detail: String) -> APIError {
        APIError(.notFound, kind: "not-found", title: "Not found", detail: detail)
    }

    static func serviceUnavailable(_ detail: String, retryAfterSeconds: Int) -> APIError {
        var error = APIError(.serviceUnavailable, kind: "unavailable", title: "Service unavailable", detail: detail)
        error.headers[.retryAfter] = String(retryAfterSeconds)
        return error
    }

    static func internalError(requestID: String) -> APIError {
        APIError(.internalServerError, kind: "internal", title: "Internal error",
                 detail: "The server failed to handle this request; it has been logged as \(requestID).")
    }
}

/// The JSON body of a problem response.
struct ProblemDocument: Codable, Equatable {
    let type: String
    let title: String
    let status: Int
    let detail: String
    let instance: String?
    let field: String?
    /// An extension member (RFC 9457 section 3.2): the body line at fault, for text uploads.
    let line: Int?
    let requestID: String

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, instance, field, line
        case requestID = "request_id"
    }
}

extension APIError {
    /// Problem `type` URIs are relative references into the API's own docs, one per kind.
    var typeURI: String { "/problems/\(kind)" }

    func response(path: String, requestID: String) -> Response {
        let document = ProblemDocument(type: typeURI, title: title, status: Int(status.code), detail: detail,
                                       instance: path, field: field, line: line, requestID: requestID)
        let body = (try? APIJSON.encoder().encode(document)) ?? Data(#"{"title":"Internal error","status":500}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Maps anything thrown below the boundary to a problem. Unknown errors become a 500 whose
    /// body says nothing internal; the details go to the log with the request id.
    static func from(_ error: any Error, requestID: String) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? HTTPError {
            let status = error.status
            let detail = error.body ?? status.reasonPhrase
            switch status {
            case .notFound: return .notFound("No route matches this path and method.")
            case .contentTooLarge:
                return APIError(status, kind: "body-too-large", title: "Request body too large", detail: detail)
            case .unsupportedMediaType:
                return APIError(status, kind: "unsupported-media-type", title: "Unsupported media type", detail: detail)
            case .badRequest:
                return .badRequest(field: nil, detail)
            default:
                return APIError(status, kind: "http-\(status.code)", title: status.reasonPhrase, detail: detail)
            }
        }
        // Redis unreachable under any route that did not say more: a dependency is down, so a
        // 503 the client may retry, never an opaque 500.
        if error is RedisError {
            return .serviceUnavailable("Redis cannot be reached right now; try again shortly.", retryAfterSeconds: 10)
        }
        if error is NIOTooManyBytesError {
            return APIError(.contentTooLarge, kind: "body-too-large", title: "Request body too large",
                            detail: "The request body is larger than this server accepts (MAX_BODY_BYTES).")
        }
        if error is DecodingError {
            return .badRequest(field: nil, "The request body is not the expected JSON: \(error)")
        }
        return .internalError(requestID: requestID)
    }
}
