import Foundation

/// A GET to a market-data vendor, with the answers both vendors share turned into
/// `ProviderError`: 429 is over the limit, 401/403 a refused key or plan, any other non-2xx and
/// every transport failure the vendor being unavailable.
struct VendorHTTP: Sendable {
    let provider: String
    let client: HTTPClient
    /// Kept out of every error detail: Alpha Vantage takes its key only in the query string, and
    /// `HTTPClientError` descriptions carry the URL.
    let secret: String

    /// One quick second try for a 5xx or a dropped connection. A 429 gets at most that one try
    /// (after <= 200 ms, or a Retry-After of <= 2 s) and is then handed back as `rateLimited`:
    /// the provider chain moves on instead of waiting out a vendor's quota.
    static let retry = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(200), maxDelay: .seconds(1), maxRetryAfter: .seconds(2))

    func get(_ url: String, headers: [HTTPHeader] = []) async throws -> [UInt8] {
        let response: HTTPClientResponse
        do {
            response = try await client.send(HTTPClientRequest(url: url, headers: headers), retry: Self.retry)
        } catch let error as HTTPClientError {
            throw ProviderError.unavailable(provider: provider, detail: redacted(Self.describe(error)))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ProviderError.unavailable(provider: provider, detail: redacted("\(error)"))
        }
        if (200...299).contains(response.status) { return response.body }
        let detail = redacted(Self.vendorMessage(response.body).map { "HTTP \(response.status): \($0)" } ?? "HTTP \(response.status)")
        switch response.status {
        case 429: throw ProviderError.rateLimited(provider: provider, detail: detail)
        case 401, 403: throw ProviderError.notAuthorized(provider: provider, detail: detail)
        default: throw ProviderError.unavailable(provider: provider, detail: detail)
        }
    }

    /// Decodes a body in the vendor's documented shape; anything else (HTML from a proxy, a
    /// truncated body, a changed format) is the vendor being unavailable, never a guess.
    func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw ProviderError.unavailable(provider: provider, detail: "\(what): not the documented format")
        }
    }

    func redacted(_ text: String) -> String {
        secret.isEmpty ? text : text.replacingOccurrences(of: secret, with: "<key>")
    }

    /// Without the URL, which may hold the key.
    static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .invalidRequest(_, let reason): "invalid request: \(reason)"
        case .connectionFailed(_, _, let reason, _): "cannot connect: \(reason)"
        case .timedOut(_, _, let after, _): "no complete answer within \(after)"
        case .responseTooLarge(_, _, let limit): "answer larger than \(limit) bytes"
        case .transport(_, _, let reason, _): reason
        }
    }

    /// The text of a JSON error body (`{"error": ...}` from Finnhub), short enough for a log line.
    static func vendorMessage(_ body: [UInt8]) -> String? {
        struct ErrorBody: Decodable { let error: String? }
        guard let message = (try? JSONDecoder().decode(ErrorBody.self, from: Data(body)))?.error, !message.isEmpty else { return nil }
        return String(message.prefix(200))
    }
}

/// Query strings for vendor URLs: every value percent-encoded (a key may hold `+` or `&`).
enum VendorURL {
    static func make(_ base: String, _ path: String, _ query: [(String, String)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        let trimmedBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        let pairs = query.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }
        return trimmedBase + path + (pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&"))
    }
}
