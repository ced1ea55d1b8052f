import Foundation
import NIOCore
import Shared

/// The dashboard's files (`Sources/WebAPI/Public`), read once at start and served from memory:
/// no disk read and no path ever built from a request (a lookup in this table is the whole
/// "file system"), so `..` in a URL cannot reach anything else.
struct StaticAssets: Sendable {
    struct Asset: Sendable {
        let body: ByteBuffer
        let contentType: String
        /// A strong validator from the content, equal in every web process of a deployment.
        let etag: String
        /// The first 12 hex digits of the content's SHA-256: the `?v=` that makes a URL immutable.
        let version: String

        init(_ bytes: [UInt8], contentType: String) {
            let digest = SHA256Hex.of(bytes)
            body = ByteBuffer(bytes: bytes)
            self.contentType = contentType
            etag = "\"\(digest.prefix(32))\""
            version = String(digest.prefix(12))
        }
    }

    /// Keyed by the path under `Public/`: `app.js`, `vendor/chart.min.js`.
    let files: [String: Asset]
    /// `index.html` with each `/assets/<file>` it names rewritten to `/assets/<file>?v=<version>`,
    /// so a deploy changes the URLs and browsers may keep the old ones forever.
    let index: Asset?

    /// The bundled files, read on first use and kept for the process's life (they cannot change
    /// under a running binary; tests build many applications and read them once).
    static let bundled = load()

    static func load() -> StaticAssets {
        for directory in BundledResources.candidates("Public") {
            let assets = load(from: directory)
            if assets.index != nil { return assets }
        }
        return StaticAssets(files: [:], index: nil)
    }

    static func load(from directory: URL) -> StaticAssets {
        var files: [String: Asset] = [:]
        let root = directory.resolvingSymlinksInPath().standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return StaticAssets(files: [:], index: nil)
        }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = FileManager.default.contents(atPath: url.path) else { continue }
            let path = String(url.resolvingSymlinksInPath().standardizedFileURL.path.dropFirst(root.count + 1))
            files[path] = Asset(Array(data), contentType: contentType(of: path))
        }
        guard let page = files.removeValue(forKey: "index.html") else { return StaticAssets(files: files, index: nil) }
        var html = String(decoding: page.body.readableBytesView, as: UTF8.self)
        for (path, asset) in files {
            html = html.replacingOccurrences(of: "\"/assets/\(path)\"", with: "\"/assets/\(path)?v=\(asset.version)\"")
        }
        return StaticAssets(files: files, index: Asset(Array(html.utf8), contentType: contentType(of: "index.html")))
    }

    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) ?? "" {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json; charset=utf-8"
        case "txt", "license": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
