import CCurl
import Foundation

public struct HTTPClientSettings: Sendable {
    public var connectTimeout: Duration
    public var timeout: Duration
    public var maxResponseBytes: Int
    public var retry: RetryPolicy
    public var maxConnections: Int
    public var userAgent: String

    public init(
        connectTimeout: Duration = .seconds(5),
        timeout: Duration = .seconds(30),
        maxResponseBytes: Int = 64 << 20,
        retry: RetryPolicy = RetryPolicy(),
        maxConnections: Int = 8,
        userAgent: String = "StockHub/1.0"
    ) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.retry = retry
        self.maxConnections = maxConnections
        self.userAgent = userAgent
    }
}

/// Outbound HTTP over libcurl. Transfers run on dedicated threads (one per pooled easy handle,
/// which keeps its connection cache between requests); waits between retries are async sleeps.
public final class HTTPClient: Sendable {
    public let settings: HTTPClientSettings
    private let pool: BlockingConnectionPool<CurlHandle>

    public init(settings: HTTPClientSettings = HTTPClientSettings()) {
        CurlHandle.initializeOnce
        self.settings = settings
        self.pool = BlockingConnectionPool(name: "http", maxConnections: settings.maxConnections, acquireTimeout: .seconds(30)) {
            try CurlHandle()
        }
    }

    /// Sends the request, retrying connection failures and 5xx/429 answers (idempotent requests
    /// only) with backoff and jitter, honouring Retry-After. After the last attempt a 5xx/429
    /// response is returned as is; transport failures throw `HTTPClientError`.
    public func send(_ request: HTTPClientRequest, retry: RetryPolicy? = nil) async throws -> HTTPClientResponse {
        let policy = request.isIdempotent ? (retry ?? settings.retry) : .none
        let settings = self.settings
        var attempt = 1
        while true {
            let outcome = try await pool.withConnection { handle in handle.perform(request, settings: settings) }
            switch outcome {
            case .response(let status, let headers, let body):
                let response = HTTPClientResponse(status: status, headers: headers, body: body, attempts: attempt)
                guard status == 429 || (500...599).contains(status), attempt < policy.maxAttempts else { return response }
                var delay = policy.backoff(afterAttempt: attempt)
                if let header = response.header("retry-after"), let wanted = RetryPolicy.retryAfter(header) {
                    guard wanted <= policy.maxRetryAfter else { return response }
                    delay = wanted
                }
                try await Task.sleep(for: delay)
            case .failure(let failure, let retryable):
                guard retryable, attempt < policy.maxAttempts else { throw failure.error(attempts: attempt) }
                try await Task.sleep(for: policy.backoff(afterAttempt: attempt))
            }
            attempt += 1
        }
    }

    public func shutdown() async { await pool.shutdown() }
}

enum CurlOutcome: Sendable {
    case response(status: Int, headers: [HTTPHeader], body: [UInt8])
    case failure(CurlFailure, retryable: Bool)
}

struct CurlFailure: Sendable {
    enum Kind: Sendable { case invalid, connect, timeout, tooLarge, transport }
    let kind: Kind
    let method: String
    let url: String
    let reason: String
    let timeout: Duration
    let limit: Int

    func error(attempts: Int) -> HTTPClientError {
        switch kind {
        case .invalid: .invalidRequest(url: url, reason: reason)
        case .connect: .connectionFailed(method: method, url: url, reason: reason, attempts: attempts)
        case .timeout: .timedOut(method: method, url: url, after: timeout, attempts: attempts)
        case .tooLarge: .responseTooLarge(method: method, url: url, limit: limit)
        case .transport: .transport(method: method, url: url, reason: reason, attempts: attempts)
        }
    }
}

/// A libcurl easy handle. Blocking: used only on the pool's threads.
final class CurlHandle: BlockingConnection, @unchecked Sendable {
    static let initializeOnce: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    private var handle: UnsafeMutableRawPointer?

    init() throws {
        guard let handle = curl_easy_init() else {
            throw HTTPClientError.invalidRequest(url: "", reason: "curl_easy_init failed")
        }
        self.handle = handle
    }

    deinit { close() }

    func isReusable() -> Bool { handle != nil }

    func close() {
        if let handle { curl_easy_cleanup(handle) }
        handle = nil
    }

    /// Collects the response while curl calls back; refuses bodies over the limit.
    final class Sink {
        var body: [UInt8] = []
        var headers: [HTTPHeader] = []
        var status: Int = 0
        let limit: Int
        var exceeded = false
        init(limit: Int) { self.limit = limit }
    }

    func perform(_ request: HTTPClientRequest, settings: HTTPClientSettings) -> CurlOutcome {
        let timeout = request.timeout ?? settings.timeout
        let limit = request.maxResponseBytes ?? settings.maxResponseBytes
        func fail(_ kind: CurlFailure.Kind, _ reason: String, retryable: Bool = false) -> CurlOutcome {
            .failure(CurlFailure(kind: kind, method: request.method, url: request.url, reason: reason, timeout: timeout, limit: limit), retryable: retryable)
        }
        guard let handle else { return fail(.invalid, "handle closed") }
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            return fail(.invalid, "only http:// and https:// URLs are allowed")
        }
        // Reset clears the previous request's options but keeps the connection and DNS caches.
        curl_easy_reset(handle)
        let sink = Sink(limit: limit)
        let sinkPointer = Unmanaged.passRetained(sink)
        defer { sinkPointer.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        var hasContentType = false
        for header in request.headers {
            if header.name.lowercased() == "content-type" { hasContentType = true }
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // Without these curl would wait for `100 Continue` (a wasted round trip) before sending a
        // large body, and label bodies sent with POSTFIELDS as a form. The usual fix, an empty
        // `Expect:` header, breaks curl 7.88's SigV4 signature (it signs a header it then omits),
        // so signed requests keep the header and set the wait to zero instead.
        if request.sigV4 == nil { headerList = curl_slist_append(headerList, "Expect:") }
        if !request.body.isEmpty || request.method == "PUT" || request.method == "POST", !hasContentType {
            headerList = curl_slist_append(headerList, "Content-Type: application/octet-stream")
        }

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            request.body.withUnsafeBytes { bodyBytes in
                _ = stockhub_curl_setopt_string(handle, CURLOPT_URL, request.url)
                _ = stockhub_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)  // required with threads
                _ = stockhub_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(settings.connectTimeout))
                _ = stockhub_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(timeout))
                _ = stockhub_curl_setopt_string(handle, CURLOPT_USERAGENT, settings.userAgent)
                _ = stockhub_curl_setopt_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
                _ = stockhub_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
                _ = stockhub_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
                _ = stockhub_curl_setopt_long(handle, CURLOPT_EXPECT_100_TIMEOUT_MS, 0)
                _ = stockhub_curl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody)
                _ = stockhub_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer.toOpaque())
                _ = stockhub_curl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, curlWriteHeader)
                _ = stockhub_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer.toOpaque())
                switch request.method {
                case "GET": _ = stockhub_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                case "HEAD": _ = stockhub_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
                default:
                    if !request.body.isEmpty || request.method == "PUT" || request.method == "POST" {
                        _ = stockhub_curl_setopt_long(handle, CURLOPT_POST, 1)
                        _ = stockhub_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyBytes.count))
                        let pointer = bodyBytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                        _ = stockhub_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: pointer))
                    }
                    _ = stockhub_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
                }
                if let sigV4 = request.sigV4 {
                    _ = stockhub_curl_setopt_string(handle, CURLOPT_AWS_SIGV4, sigV4.provider)
                    _ = stockhub_curl_setopt_string(handle, CURLOPT_USERNAME, sigV4.accessKeyID)
                    _ = stockhub_curl_setopt_string(handle, CURLOPT_PASSWORD, sigV4.secretAccessKey)
                }
                return curl_easy_perform(handle)
            }
        }

        if code == CURLE_OK {
            var status = 0
            _ = stockhub_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return .response(status: status, headers: sink.headers, body: sink.body)
        }
        let buffered = String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let detail = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
        switch code {
        case CURLE_WRITE_ERROR where sink.exceeded:
            return fail(.tooLarge, detail)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return fail(.invalid, detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return fail(.connect, detail)
        case CURLE_COULDNT_CONNECT:
            return fail(.connect, detail, retryable: true)
        case CURLE_OPERATION_TIMEDOUT:
            // A connect that timed out is worth another try; a slow transfer is not retried
            // (it would multiply the caller's wait).
            var connectSeconds = 0.0
            _ = stockhub_curl_getinfo_double(handle, CURLINFO_CONNECT_TIME, &connectSeconds)
            return connectSeconds == 0 ? fail(.connect, detail, retryable: true) : fail(.timeout, detail)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return fail(.transport, detail, retryable: true)
        default:
            return fail(.transport, detail)
        }
    }
}

private func milliseconds(_ duration: Duration) -> Int { Int(duration.milliseconds) }

private let curlWriteBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    let sink = Unmanaged<CurlHandle.Sink>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard sink.body.count + length <= sink.limit else {
        sink.exceeded = true
        return 0  // makes curl stop with CURLE_WRITE_ERROR
    }
    if let data, length > 0 { sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
    return length
}

private let curlWriteHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    let sink = Unmanaged<CurlHandle.Sink>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard let data else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        sink.headers = []  // a new response (after 100 Continue or a redirect) starts over
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        sink.headers.append(HTTPHeader(name, value))
    }
    return length
}
