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

        // The line is built only when it will be written: at LOG_LEVEL=warning a busy cached
        // route would otherwise format a metadata dictionary per request for nothing.
        let failed = failure != nil && response.status.code >= 500
        guard failed || context.logger.logLevel <= .info else { return response }
        let milliseconds = start.duration(to: .now).milliseconds
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "ms": .string(String(format: "%.2f", milliseconds)),
        ]
        if failed, let failure {
            metadata["error"] = .string(String(describing: failure))
            // A 503 is a dependency or budget that is out for now, answered with Retry-After:
            // under load it is one line per request, and not a fault of ours to page about.
            if response.status == .serviceUnavailable {
                context.logger.warning("request refused for now", metadata: metadata)
            } else {
                context.logger.error("request failed", metadata: metadata)
            }
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
        return randomUUIDString()
    }

    /// A random (version 4) UUID in lower case. Foundation's `UUID()` on Linux opens, reads and
    /// closes /dev/urandom on every call, ~5% of a cached request's CPU in the profile; the
    /// standard library's generator is one getrandom call and no file descriptor.
    static func randomUUIDString() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = (generator.next() as UInt64) & ~0xF000 | 0x4000  // version 4
        let low = (generator.next() as UInt64) & ~(0xC0 << 56) | (0x80 << 56)  // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            for word in [high, low] {
                for nibble in 0..<16 {
                    if position == 8 || position == 13 || position == 18 || position == 23 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    let digit = UInt8(truncatingIfNeeded: word >> (60 - 4 * UInt64(nibble))) & 0xF
                    buffer[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                    position += 1
                }
            }
            return position
        }
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
}
