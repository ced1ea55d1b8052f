import Foundation

/// A TCP port that accepts each connection and resets it at once (SO_LINGER 0, then close): a
/// vendor whose load balancer drops connections.
final class ResettingListener: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let (fd, port) = try LocalListeningSocket.open("resetting listener")
        (descriptor, self.port) = (fd, port)
        // Its own thread: accept blocks. It ends when `close` makes accept fail.
        Thread.detachNewThread {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                _ = setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                _ = Glibc.close(connection)
            }
        }
    }

    func close() {
        _ = shutdown(descriptor, Int32(SHUT_RDWR))
        _ = Glibc.close(descriptor)
    }
}
