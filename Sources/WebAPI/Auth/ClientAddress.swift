import Hummingbird

/// The client's address for throttling: the TCP peer, or behind a PaaS router that appends the
/// real client to `X-Forwarded-For`, that header's last entry (earlier entries are client-supplied).
enum ClientAddress {
    static func of(_ request: Request, _ context: AppRequestContext, trustProxy: Bool) -> String {
        if trustProxy, let forwarded = request.headers[.forwardedFor],
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
           !last.isEmpty, last.count <= 64, last.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) {
            return last
        }
        return context.peerAddress ?? "unknown"
    }
}
