import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Where every request enters and leaves: gives it an id (the client's `X-Request-Id` when it
/// is sane, else a new one), turns any error into problem+json, stamps the id on the response,
/// and writes one log line per request carrying the same id.
struct RequestBoundaryMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let requestID = Self.requestID(from: request)
        var context = context
        context.logger[metadataKey: "request_id"] = .string(requestID)

        var response: Response
        var failure: (any Error)?
        do {
            response = try await next(request, context)
        } catch {
            failure = error
            response = APIError.from(error, requestID: requestID).response(path: request.uri.path, requestID: requestID)
        }
        response.headers[.requestID] = requestID

        let milliseconds = start.duration(to: .now).milliseconds
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "ms": .string(String(format: "%.2f", milliseconds)),
        ]
        if let failure, response.status.code >= 500 {
            metadata["error"] = .string(String(describing: failure))
            context.logger.error("request failed", metadata: metadata)
        } else {
            context.logger.info("request", metadata: metadata)
        }
        return response
    }

    /// Accepts the caller's id when it is 1-128 printable, non-space ASCII characters so it can
    /// be logged and echoed safely; otherwise makes one.
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.requestID], (1...128).contains(given.utf8.count),
           given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) {
            return given
        }
        return UUID().uuidString.lowercased()
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
}
