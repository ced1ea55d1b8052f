import Foundation
@testable import Shared
import Testing

/// One suite, two stores: every behaviour is checked on the filesystem store and on the S3 store
/// against the signature-checking S3 server the test command starts.
@Suite("Artifact stores")
struct ArtifactStoreTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case file, s3
        var testDescription: String { rawValue }
    }

    /// A store rooted in a fresh folder or prefix, so tests never see each other's objects.
    static func makeStore(_ kind: Kind, pageSize: Int = 1000) throws -> any ArtifactStore {
        switch kind {
        case .file:
            return FileStore(root: FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("stockhub-files")))
        case .s3:
            return S3Store(settings: try TestServices.s3Settings(prefix: uniqueName("tests")), http: HTTPClient(), pageSize: pageSize)
        }
    }

    @Test(arguments: Kind.allCases)
    func putGetHeadDeleteRoundTrip(_ kind: Kind) async throws {
        let store = try Self.makeStore(kind)
        let key = "models/arima/v1/AAPL.bin"
        let bytes: [UInt8] = Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try await store.put(key, bytes)
        #expect(try await store.get(key) == bytes)
        let info = try #require(try await store.head(key))
        #expect(info.key == key && info.size == bytes.count)
        #expect(info.lastModified != nil)

        // Overwrite replaces the whole object.
        try await store.put(key, Array("v2".utf8))
        #expect(try await store.get(key) == Array("v2".utf8))

        try await store.delete(key)
        #expect(try await store.head(key) == nil)
        try await store.delete(key)  // deleting again is fine
    }

    @Test(arguments: Kind.allCases)
    func emptyObjectsAndOddKeysWork(_ kind: Kind) async throws {
        let store = try Self.makeStore(kind)
        try await store.put("empty.bin", [])
        #expect(try await store.get("empty.bin") == [])
        #expect(try await store.head("empty.bin")?.size == 0)
        let punctuated = "models/ets/v1.2_beta/BRK.B-x~y.bin"
        try await store.put(punctuated, Array("odd".utf8))
        #expect(try await store.get(punctuated) == Array("odd".utf8))
        #expect(try await store.list(prefix: "models/ets/").map(\.key) == [punctuated])
    }

    @Test(arguments: Kind.allCases)
    func missingKeyIsNotFound(_ kind: Kind) async throws {
        let store = try Self.makeStore(kind)
        await #expect(throws: StorageError.notFound(key: "models/none/v1/NOPE.bin")) {
            try await store.get("models/none/v1/NOPE.bin")
        }
        #expect(try await store.head("models/none/v1/NOPE.bin") == nil)
    }

    @Test(arguments: Kind.allCases)
    func listFollowsPrefixAcrossPages(_ kind: Kind) async throws {
        let store = try Self.makeStore(kind, pageSize: 2)
        let wanted = (1...7).map { "models/xgb/v1/S\($0).bin" }
        for key in wanted + ["models/lstm/v1/X.bin", "manifest.json"] { try await store.put(key, Array(key.utf8)) }
        let listed = try await store.list(prefix: "models/xgb/")
        #expect(listed.map(\.key) == wanted.sorted())
        #expect(listed.allSatisfy { $0.size == $0.key.utf8.count })
        #expect(try await store.list(prefix: "").count == 9)
        #expect(try await store.list(prefix: "models/nothing/").isEmpty)
    }

    @Test(arguments: Kind.allCases)
    func invalidKeysAreRefusedBeforeAnyIO(_ kind: Kind) async throws {
        let store = try Self.makeStore(kind)
        for key in ["", "/abs", "a/../b", "a//b", "a/./b", "dir/", "tab\there", "sp ace", "a+b", "a=b", "é.bin", "a%2Fb",
                    "back\\slash", String(repeating: "k", count: 1025)] {
            await #expect(throws: StorageError.self, "key \(key.debugDescription)") { try await store.put(key, [1]) }
        }
    }

    @Test(arguments: Kind.allCases)
    func pingReportsAUsableStore(_ kind: Kind) async throws {
        try await Self.makeStore(kind).ping()
    }

    @Test func wrongSecretIsAnAuthError() async throws {
        let store = S3Store(settings: try TestServices.s3Settings(secret: "definitely-not-the-secret", prefix: "wrong"), http: HTTPClient())
        await #expect {
            try await store.put("models/x/v1/A.bin", [1, 2, 3])
        } throws: { error in
            guard case StorageError.accessDenied(_, let code, _) = error else { return false }
            return code == "SignatureDoesNotMatch" || code == "AccessDenied" || code == "InvalidAccessKeyId"
        }
        await #expect(throws: StorageError.self) { try await store.ping() }
        let message = "\(StorageError.accessDenied(store: "s3://b", code: "SignatureDoesNotMatch", message: "m"))"
        #expect(message.contains("S3_SECRET_ACCESS_KEY"))
    }

    @Test func unreachableEndpointIsUnavailable() async throws {
        var settings = try TestServices.s3Settings(prefix: "x")
        settings.endpoint = "http://127.0.0.1:\(try freePort())"
        let store = S3Store(settings: settings, http: HTTPClient(settings: HTTPClientSettings(retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(10)))))
        await #expect {
            try await store.get("a.bin")
        } throws: { error in
            if case StorageError.unavailable = error { return true }
            return false
        }
    }

    @Test func fileStoreWritesAtomicallyAndLeavesNoTemporaries() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("stockhub-atomic"))
        let store = FileStore(root: root)
        // Given an object that exists (so every read must succeed: a failed read is a torn
        // write showing through, not an absent key) ...
        let versions = (0..<20).map { index in [UInt8](repeating: UInt8(index + 1), count: 50_000) }
        let original = [UInt8](repeating: 0, count: 50_000)
        try await store.put("k.bin", original)
        let whole = Set(versions + [original])
        // ... when 20 writers replace it concurrently while 20 readers keep reading it ...
        let reads = try await withThrowingTaskGroup(of: Int.self) { group in
            for version in versions { group.addTask { try await store.put("k.bin", version); return 0 } }
            for _ in 0..<20 {
                group.addTask {
                    var count = 0
                    for _ in 0..<10 {
                        let bytes = try await store.get("k.bin")
                        #expect(whole.contains(bytes), "a read saw \(bytes.count) bytes of \(Set(bytes).count) versions")
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        // ... then every read saw one whole version, the last write left one whole new version,
        // and no temporary file is left behind.
        #expect(reads == 200)
        let final = try await store.get("k.bin")
        #expect(versions.contains(final), "final object: \(final.count) bytes, first byte \(final.first.map(String.init) ?? "none")")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func s3AddressingBuildsPathAndVirtualHostedURLs() {
        let path = S3Store(settings: S3Settings(bucket: "b", prefix: "p/", endpoint: "http://minio:9000", accessKeyID: "k", secretAccessKey: "s"), http: HTTPClient())
        #expect(path.settings.addressing == .path)
        #expect(path.objectURL("models/a.bin") == "http://minio:9000/b/p/models/a.bin")
        #expect(path.bucketURL(query: [("prefix", "x/y/"), ("list-type", "2")]) == "http://minio:9000/b?list-type=2&prefix=x%2Fy%2F")
        var moto = path.settings
        moto.dialect = .moto
        #expect(S3Store(settings: moto, http: HTTPClient()).bucketURL(query: [("prefix", "x/")]) == "http://minio:9000/b?prefix=x/")
        let aws = S3Store(settings: S3Settings(bucket: "b", region: "eu-west-1", accessKeyID: "k", secretAccessKey: "s"), http: HTTPClient())
        #expect(aws.settings.addressing == .virtual)
        #expect(aws.objectURL("k.bin") == "https://b.s3.eu-west-1.amazonaws.com/k.bin")
        #expect(aws.bucketURL(query: [("list-type", "2")]) == "https://b.s3.eu-west-1.amazonaws.com/?list-type=2")
    }
}
