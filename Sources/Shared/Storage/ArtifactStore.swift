import Foundation

/// What a store knows about one stored object.
public struct ArtifactInfo: Sendable, Equatable {
    public let key: String
    public let size: Int
    public let lastModified: Date?
    public init(key: String, size: Int, lastModified: Date?) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
    }
}

public enum StorageError: Error, CustomStringConvertible, Sendable, Equatable {
    case notFound(key: String)
    /// Keys are relative paths of printable characters: no leading `/`, no `.`/`..` segments.
    case invalidKey(key: String, reason: String)
    /// The store refused our credentials (wrong secret, missing permission).
    case accessDenied(store: String, code: String, message: String)
    /// The store is unreachable or answered something unusable.
    case unavailable(store: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let key): "artifact \(key) not found"
        case .invalidKey(let key, let reason): "artifact key \"\(key)\" is invalid: \(reason)"
        case .accessDenied(let store, let code, let message):
            "\(store): access denied (\(code)): \(message) — check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION and the key's permissions"
        case .unavailable(let store, let reason): "\(store): \(reason)"
        }
    }
}

/// Where model artifacts live. Keys look like `models/{model}/{version}/{SYMBOL}.bin`.
/// Writes replace whole objects; readers never see a partial object.
public protocol ArtifactStore: Sendable {
    /// `file:///…` or `s3://bucket/prefix`, safe to log.
    var location: String { get }
    func put(_ key: String, _ bytes: [UInt8]) async throws
    /// Throws `StorageError.notFound` for a missing key.
    func get(_ key: String) async throws -> [UInt8]
    /// nil for a missing key.
    func head(_ key: String) async throws -> ArtifactInfo?
    /// Deleting a missing key is not an error.
    func delete(_ key: String) async throws
    /// Every object whose key starts with `prefix`, sorted by key.
    func list(prefix: String) async throws -> [ArtifactInfo]
    /// Proves the store is reachable and usable with our credentials.
    func ping() async throws
}

enum ArtifactKey {
    static let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-/")

    /// Same rules for every store, so a key valid on disk is valid on S3 and vice versa.
    static func validate(_ key: String) throws(StorageError) {
        if key.isEmpty { throw .invalidKey(key: key, reason: "empty") }
        if key.utf8.count > 1024 { throw .invalidKey(key: key, reason: "longer than 1024 bytes") }
        if key.hasPrefix("/") { throw .invalidKey(key: key, reason: "starts with /") }
        if key.hasSuffix("/") { throw .invalidKey(key: key, reason: "ends with /") }
        // Only characters that need no escaping in a URL path: curl 7.88 signs the path as
        // written, and servers disagree on escaped keys (moto rejects correctly signed `%2B`
        // and UTF-8, getmoto/moto#5948). Every StockHub key (`models/{model}/{version}/{SYMBOL}.bin`)
        // fits this set.
        if let bad = key.unicodeScalars.first(where: { !allowed.contains($0) }) {
            throw .invalidKey(key: key, reason: "contains \"\(bad.escaped(asASCII: true))\"; keys use only A-Z a-z 0-9 . _ ~ - and /")
        }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { throw .invalidKey(key: key, reason: "contains an empty path segment (//)") }
            if segment == "." || segment == ".." { throw .invalidKey(key: key, reason: "contains a . or .. segment") }
            if segment.hasPrefix(".tmp-") { throw .invalidKey(key: key, reason: "segments starting with .tmp- are reserved") }
        }
    }

    static func validatePrefix(_ prefix: String) throws(StorageError) {
        guard !prefix.isEmpty else { return }
        try validate(prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix)
    }
}
