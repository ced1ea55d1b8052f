import Foundation

/// Where and how to reach an S3-compatible bucket.
public struct S3Settings: Sendable, Equatable {
    public enum Addressing: String, Sendable { case path, virtual }

    /// How query values are escaped. curl 7.88 signs the query exactly as written, so the URL
    /// must already be in SigV4's canonical form: `aws` escapes `/` in values as `%2F`, as AWS,
    /// MinIO, R2 and B2 expect. moto's signature check decodes `%2F` before comparing
    /// (getmoto/moto#5948) and accepts only a raw `/`: `moto` is for the local test server.
    public enum Dialect: String, Sendable { case aws, moto }

    public var bucket: String
    /// Prepended to every key (no leading or trailing slash), e.g. `stockhub/prod`.
    public var prefix: String
    public var region: String
    /// `http(s)://host[:port]` for MinIO, R2, B2, moto; nil for AWS itself.
    public var endpoint: String?
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Virtual-hosted (`bucket.host/key`) is AWS's default; custom endpoints usually want path style.
    public var addressing: Addressing
    public var dialect: Dialect

    public init(bucket: String, prefix: String = "", region: String = "us-east-1", endpoint: String? = nil,
                accessKeyID: String, secretAccessKey: String, addressing: Addressing? = nil, dialect: Dialect = .aws) {
        self.bucket = bucket
        self.prefix = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.region = region
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.addressing = addressing ?? (endpoint == nil ? .virtual : .path)
        self.dialect = dialect
    }
}

/// Artifacts in an S3-compatible bucket, over libcurl with SigV4 signing done by curl.
public struct S3Store: ArtifactStore {
    public let settings: S3Settings
    private let http: HTTPClient
    /// Keys per ListObjectsV2 page (S3's maximum is 1000; tests use small pages).
    private let pageSize: Int

    public init(settings: S3Settings, http: HTTPClient, pageSize: Int = 1000) {
        self.settings = settings
        self.http = http
        self.pageSize = max(1, min(1000, pageSize))
    }

    public var location: String {
        "s3://\(settings.bucket)" + (settings.prefix.isEmpty ? "" : "/\(settings.prefix)")
    }

    public func put(_ key: String, _ bytes: [UInt8]) async throws {
        try ArtifactKey.validate(key)
        let response = try await send("PUT", objectURL(key), body: bytes)
        guard (200...299).contains(response.status) else { throw error(from: response, key: key) }
    }

    public func get(_ key: String) async throws -> [UInt8] {
        try ArtifactKey.validate(key)
        let response = try await send("GET", objectURL(key))
        guard response.status == 200 else { throw error(from: response, key: key) }
        return response.body
    }

    public func head(_ key: String) async throws -> ArtifactInfo? {
        try ArtifactKey.validate(key)
        let response = try await send("HEAD", objectURL(key))
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw error(from: response, key: key) }
        return ArtifactInfo(
            key: key,
            size: response.header("content-length").flatMap { Int($0) } ?? 0,
            lastModified: response.header("last-modified").flatMap(HTTPDate.parse))
    }

    public func delete(_ key: String) async throws {
        try ArtifactKey.validate(key)
        let response = try await send("DELETE", objectURL(key))
        guard (200...299).contains(response.status) || response.status == 404 else { throw error(from: response, key: key) }
    }

    public func list(prefix: String) async throws -> [ArtifactInfo] {
        try ArtifactKey.validatePrefix(prefix)
        let fullPrefix = settings.prefix.isEmpty ? prefix : settings.prefix + "/" + prefix
        var found: [ArtifactInfo] = []
        // Pages continue with `start-after` (the last key seen) rather than the continuation
        // token: AWS's tokens hold + / =, keys only the characters `ArtifactKey` allows.
        var startAfter: String?
        repeat {
            var query = [("list-type", "2"), ("max-keys", String(pageSize)), ("prefix", fullPrefix)]
            if let startAfter { query.append(("start-after", startAfter)) }
            let response = try await send("GET", bucketURL(query: query))
            guard response.status == 200 else { throw error(from: response, key: prefix) }
            let page = try S3XML.listPage(response.body, store: location)
            let strip = settings.prefix.isEmpty ? 0 : settings.prefix.count + 1
            found += page.objects.map { ArtifactInfo(key: String($0.key.dropFirst(strip)), size: $0.size, lastModified: $0.lastModified) }
            startAfter = page.isTruncated ? page.objects.last?.key : nil
        } while startAfter != nil
        return found.sorted { $0.key < $1.key }
    }

    /// Lists at most one key: proves the endpoint answers and the credentials may read the bucket.
    public func ping() async throws {
        let response = try await send("GET", bucketURL(query: [("list-type", "2"), ("max-keys", "1")]))
        guard response.status == 200 else { throw error(from: response, key: "") }
    }

    // MARK: - Requests

    private func send(_ method: String, _ url: String, body: [UInt8] = []) async throws -> HTTPClientResponse {
        // curl 7.88 signs with SigV4 but does not hash the payload itself: without an explicit
        // x-amz-content-sha256 S3 servers reject the signature.
        let digest = SHA256Hex.of(body)
        var request = HTTPClientRequest(method: method, url: url, headers: [HTTPHeader("x-amz-content-sha256", digest)], body: body,
                                        sigV4: AWSSigV4Credentials(region: settings.region, service: "s3",
                                                                   accessKeyID: settings.accessKeyID, secretAccessKey: settings.secretAccessKey))
        request.isIdempotent = true
        do {
            return try await http.send(request)
        } catch let failure as HTTPClientError {
            throw StorageError.unavailable(store: location, reason: failure.description)
        }
    }

    /// Keys and prefixes are validated to unreserved characters and `/`, so the path needs no
    /// escaping: it is already canonical, as curl 7.88 (which signs the path as written) requires.
    func objectURL(_ key: String) -> String {
        baseURL() + "/" + (settings.prefix.isEmpty ? key : settings.prefix + "/" + key)
    }

    /// The query in SigV4's canonical form (sorted, values escaped), because curl 7.88 signs
    /// the query exactly as written. Values hold only unreserved characters and `/`.
    func bucketURL(query: [(String, String)]) -> String {
        let slash = settings.dialect == .moto ? "/" : "%2F"
        let canonical = query.sorted { $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1.replacingOccurrences(of: "/", with: slash))" }.joined(separator: "&")
        // Path style names the bucket as the path (`/bucket?…`); virtual-hosted uses the root (`/?…`).
        return baseURL() + (settings.addressing == .path ? "?" : "/?") + canonical
    }

    /// The URL up to (not including) the object path: scheme, host, and the bucket in
    /// path-style addressing.
    func baseURL() -> String {
        let endpoint = settings.endpoint ?? "https://s3.\(settings.region).amazonaws.com"
        switch settings.addressing {
        case .path:
            return endpoint + "/" + settings.bucket
        case .virtual:
            guard let schemeEnd = endpoint.range(of: "://") else { return endpoint }
            return endpoint[..<schemeEnd.upperBound] + settings.bucket + "." + endpoint[schemeEnd.upperBound...]
        }
    }

    private func error(from response: HTTPClientResponse, key: String) -> StorageError {
        let parsed = S3XML.error(response.body)
        let code = parsed?.code ?? "HTTP \(response.status)"
        let message = parsed?.message ?? (response.body.isEmpty ? "no error body" : String(response.bodyText.prefix(200)))
        switch (response.status, code) {
        case (_, "NoSuchKey"), (404, "HTTP 404"):
            return .notFound(key: key)
        case (_, "NoSuchBucket"):
            return .unavailable(store: location, reason: "bucket \(settings.bucket) does not exist")
        case (_, "SignatureDoesNotMatch"), (_, "AccessDenied"), (_, "InvalidAccessKeyId"), (_, "ExpiredToken"), (403, _), (401, _):
            return .accessDenied(store: location, code: code, message: message)
        default:
            return .unavailable(store: location, reason: "HTTP \(response.status) \(code): \(message)")
        }
    }
}
