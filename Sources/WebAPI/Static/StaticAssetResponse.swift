import HTTPTypes
import Hummingbird

/// How a bundled file is answered: its caching rule, a 304 when the browser already has it, and
/// the page's security headers.
enum StaticAssetResponse {
    /// The page may run only its own scripts and styles and talk only to this origin. No inline
    /// script or style exists anywhere in `Public/`, which is what lets `'self'` be the whole list;
    /// `data:` images are for Chart.js's canvas exports, nothing else.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "connect-src 'self'", "font-src 'self'", "manifest-src 'self'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    enum Caching {
        /// Always ask again (cheap with the ETag): the page, and assets named without their version.
        case revalidate
        /// The URL carries the content's version, so it can never name other content.
        case immutable

        var header: String {
            switch self {
            case .revalidate: "no-cache"
            case .immutable: "public, max-age=31536000, immutable"
            }
        }
    }

    static func response(_ asset: StaticAssets.Asset, caching: Caching, request: Request) -> Response {
        var headers: HTTPFields = [
            .cacheControl: caching.header,
            .eTag: asset.etag,
            .contentSecurityPolicy: contentSecurityPolicy,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
        if let known = request.headers[.ifNoneMatch], known.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.body))
    }
}
