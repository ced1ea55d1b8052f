import Foundation
import NIOPosix

/// Artifacts as files under one root folder: the embedded default for a single machine.
/// Writes go to a temporary file in the same folder, are fsync'ed, then renamed over the
/// target, so a reader sees the old object or the new one, never a torn write.
public struct FileStore: ArtifactStore {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public var location: String { root.absoluteString }

    public func put(_ key: String, _ bytes: [UInt8]) async throws {
        try ArtifactKey.validate(key)
        let target = url(for: key)
        try await blocking {
            let folder = target.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let temporary = folder.appendingPathComponent(".tmp-\(UUID().uuidString)")
            let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw Self.posixError("create", temporary) }
            var ok = bytes.withUnsafeBytes { buffer -> Bool in
                var offset = 0
                while offset < buffer.count {
                    let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 { if errno == EINTR { continue }; return false }
                    offset += written
                }
                return true
            }
            ok = ok && fsync(descriptor) == 0
            let failure = ok ? nil : Self.posixError("write", temporary)
            Glibc.close(descriptor)
            guard ok, rename(temporary.path, target.path) == 0 else {
                let error = failure ?? Self.posixError("rename", target)
                unlink(temporary.path)
                throw error
            }
        }
    }

    public func get(_ key: String) async throws -> [UInt8] {
        try ArtifactKey.validate(key)
        let target = url(for: key)
        return try await blocking {
            guard let data = FileManager.default.contents(atPath: target.path) else {
                if FileManager.default.fileExists(atPath: target.path) { throw Self.posixError("read", target) }
                throw StorageError.notFound(key: key)
            }
            return [UInt8](data)
        }
    }

    public func head(_ key: String) async throws -> ArtifactInfo? {
        try ArtifactKey.validate(key)
        let target = url(for: key)
        return try await blocking {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: target.path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
            return ArtifactInfo(
                key: key,
                size: (attributes[.size] as? NSNumber)?.intValue ?? 0,
                lastModified: attributes[.modificationDate] as? Date)
        }
    }

    public func delete(_ key: String) async throws {
        try ArtifactKey.validate(key)
        let target = url(for: key)
        try await blocking {
            if unlink(target.path) != 0 && errno != ENOENT { throw Self.posixError("delete", target) }
        }
    }

    public func list(prefix: String) async throws -> [ArtifactInfo] {
        try ArtifactKey.validatePrefix(prefix)
        let root = self.root
        return try await blocking {
            guard let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey])
            else { return [] }
            var found: [ArtifactInfo] = []
            let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
            for case let file as URL in walker {
                let values = try file.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey])
                guard values.isRegularFile == true else { continue }
                let path = file.standardizedFileURL.path
                guard path.hasPrefix(rootPath) else { continue }
                let key = String(path.dropFirst(rootPath.count))
                guard key.hasPrefix(prefix), !file.lastPathComponent.hasPrefix(".tmp-") else { continue }
                found.append(ArtifactInfo(key: key, size: values.fileSize ?? 0, lastModified: values.contentModificationDate))
            }
            return found.sorted { $0.key < $1.key }
        }
    }

    /// The root must exist (it is created) and be writable.
    public func ping() async throws {
        let root = self.root
        try await blocking {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            guard access(root.path, W_OK) == 0 else {
                throw StorageError.unavailable(store: root.absoluteString, reason: "folder is not writable")
            }
        }
    }

    private func url(for key: String) -> URL { root.appendingPathComponent(key) }

    private static func posixError(_ action: String, _ url: URL) -> StorageError {
        .unavailable(store: url.path, reason: "\(action) failed: \(String(cString: strerror(errno)))")
    }
}

/// File I/O blocks; it runs on NIO's blocking-I/O threads, off the cooperative pool.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}
