import Foundation
import Hummingbird

/// Query parameters as the routes read them. Hummingbird percent-decodes query values.
enum QueryParameter {
    static func integer(_ request: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest(field: name, "\(name) must be a whole number \(range.lowerBound)-\(range.upperBound), got \"\(text)\".")
        }
        return value
    }
}

/// Path parameters, percent-decoded. Hummingbird hands them over as sent, but `%2E` and `.` name
/// the same resource (RFC 3986 section 6.2.2.2), and clients may encode any character: a fuzzer
/// encodes a `.` symbol so that no URL normaliser reads it as a dot segment.
enum PathParameter {
    static func string(_ context: AppRequestContext, _ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
