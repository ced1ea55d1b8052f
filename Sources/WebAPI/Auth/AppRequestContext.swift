import Foundation
import Hummingbird
import NIOCore
import Shared

/// Who is calling, once a protected route has authenticated the request.
struct Identity: Sendable {
    /// The signed-in user's token claims; nil when admin rights came from `X-Admin-Key`.
    let claims: AccessClaims?
    let userID: UUID?
    let isAdmin: Bool
}

/// The request context of every route: Hummingbird's core storage, the peer address (for
/// per-address throttling) and, on protected routes, the caller's identity.
struct AppRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer; nil in in-process router tests.
    let peerAddress: String?
    var identity: Identity?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
        self.identity = nil
    }
}
