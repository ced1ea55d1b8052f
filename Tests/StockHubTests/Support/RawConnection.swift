import Foundation

/// A plain TCP client for tests about connections themselves (slow or idle clients), where an
/// HTTP client would finish the request for us. Blocking calls run on a thread of their own.
final class RawConnection: @unchecked Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = try Self.connectLoopback(port: port)
    }

    /// A socket connected to 127.0.0.1:`port` (blocking connect: loopback answers at once).
    static func connectLoopback(port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard descriptor >= 0, connected else {
            if descriptor >= 0 { close(descriptor) }
            throw TestSetupError("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        return descriptor
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        _ = text.withCString { Foundation.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    /// The first bytes that arrive (nil when the connection closed or nothing came within `limit`).
    func readSome(within limit: Duration = Patience.generous) async throws -> String? {
        let descriptor = self.descriptor
        return try await onOwnThread {
            var timeout = timeval(tv_sec: Int(limit.components.seconds), tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
        }
    }

    /// Reads until the server closes the connection (EOF or reset) and returns what arrived;
    /// nil when it is still open after `limit`.
    func readUntilClosed(within limit: Duration = Patience.generous) async throws -> String? {
        let descriptor = self.descriptor
        return try await onOwnThread {
            var timeout = timeval(tv_sec: Int(limit.components.seconds), tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 { received += buffer[0..<count]; continue }
                if count == 0 || errno == ECONNRESET { return String(decoding: received, as: UTF8.self) }
                return nil  // timed out (EAGAIN): still open
            }
        }
    }
}
