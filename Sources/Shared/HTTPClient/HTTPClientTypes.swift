import Foundation

public struct HTTPHeader: Sendable, Equatable {
    public let name: String
    public let value: String
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }
}

/// AWS Signature Version 4, computed by libcurl (`CURLOPT_AWS_SIGV4`).
public struct AWSSigV4Credentials: Sendable {
    /// curl's provider string, e.g. `aws:amz:us-east-1:s3`.
    public let provider: String
    public let accessKeyID: String
    public let secretAccessKey: String
    public init(region: String, service: String, accessKeyID: String, secretAccessKey: String) {
        self.provider = "aws:amz:\(region):\(service)"
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }
}

public struct HTTPClientRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var sigV4: AWSSigV4Credentials?
    /// Per-request overrides of the client's settings.
    public var timeout: Duration?
    public var maxResponseBytes: Int?
    /// Whether the request may be sent again after a failure. PUT/GET/HEAD/DELETE are idempotent.
    public var isIdempotent: Bool

    public init(method: String = "GET", url: String, headers: [HTTPHeader] = [], body: [UInt8] = [], sigV4: AWSSigV4Credentials? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.sigV4 = sigV4
        self.isIdempotent = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method)
    }
}

public struct HTTPClientResponse: Sendable {
    public let status: Int
    /// Header names lower-cased, in arrival order.
    public let headers: [HTTPHeader]
    public let body: [UInt8]
    /// How many attempts it took (1 when the first one was answered).
    public let attempts: Int

    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.last(where: { $0.name == wanted })?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

public enum HTTPClientError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidRequest(url: String, reason: String)
    case connectionFailed(method: String, url: String, reason: String, attempts: Int)
    case timedOut(method: String, url: String, after: Duration, attempts: Int)
    case responseTooLarge(method: String, url: String, limit: Int)
    case transport(method: String, url: String, reason: String, attempts: Int)

    public var description: String {
        switch self {
        case .invalidRequest(let url, let reason): "http \(url): invalid request: \(reason)"
        case .connectionFailed(let method, let url, let reason, let attempts):
            "http \(method) \(url): cannot connect: \(reason) (\(attempts) attempt\(attempts == 1 ? "" : "s"))"
        case .timedOut(let method, let url, let after, let attempts):
            "http \(method) \(url): no complete response within \(after) (\(attempts) attempt\(attempts == 1 ? "" : "s"))"
        case .responseTooLarge(let method, let url, let limit):
            "http \(method) \(url): response body exceeds the \(limit)-byte limit"
        case .transport(let method, let url, let reason, let attempts):
            "http \(method) \(url): \(reason) (\(attempts) attempt\(attempts == 1 ? "" : "s"))"
        }
    }
}

/// When and how long to wait before sending a request again.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// A Retry-After longer than this is not waited for: the response is returned instead.
    public var maxRetryAfter: Duration

    public init(maxAttempts: Int = 3, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(5), maxRetryAfter: Duration = .seconds(30)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// "Full jitter" exponential backoff: uniform in [0, min(maxDelay, base * 2^(attempt-1))],
    /// so many clients retrying at once spread out instead of arriving together.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        let ceiling = min(maxDelay, baseDelay * (1 << min(attempt - 1, 20)))
        let seconds = Double(ceiling.components.seconds) + Double(ceiling.components.attoseconds) / 1e18
        return .milliseconds(Int64(Double.random(in: 0...seconds) * 1000))
    }

    /// Parses Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    public static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed) { return seconds >= 0 ? .seconds(seconds) : nil }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSince(now) * 1000)))
    }
}

/// HTTP dates (RFC 9110 §5.6.7, IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
public enum HTTPDate {
    public static func parse(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
