import Foundation
import Synchronization

/// A Server-Sent Events response read over a real socket as it arrives, so a test can wait for
/// each frame rather than sleep and hope (a test client that returns the body only when the
/// stream ends cannot tell which change caused which frame). HTTP/1.1, chunked or not.
final class EventStreamReader: Sendable {
    struct State {
        var head: String?
        var dataLines: [String] = []
        var ended = false
    }

    private let state = Mutex(State())
    private let descriptor: Int32

    init(port: Int, path: String) throws {
        let fd = try RawConnection.connectLoopback(port: port)
        descriptor = fd
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else {
            _ = Glibc.close(fd)
            throw TestSetupError("cannot send the request: errno \(errno)")
        }
        // Blocking reads on a thread of the reader's own, never on the cooperative pool.
        let thread = Thread { [self] in readLoop() }
        thread.start()
    }

    /// The status line and headers, once they have arrived.
    var head: String? { state.withLock { $0.head } }
    /// Every `data:` line of every frame so far, in order.
    var dataLines: [String] { state.withLock { $0.dataLines } }
    /// The server ended the response (or the connection).
    var ended: Bool { state.withLock { $0.ended } }

    /// The `data:` lines parsed as JSON objects.
    var objects: [[String: Any]] {
        dataLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    private func readLoop() {
        var raw: [UInt8] = []
        var body: [UInt8] = []
        var chunked: Bool?
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer {
            state.withLock { $0.ended = true }
            _ = Glibc.close(descriptor)
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            raw += buffer[0..<count]
            if chunked == nil {
                guard let end = raw.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
                let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
                state.withLock { $0.head = head }
                chunked = head.lowercased().contains("transfer-encoding: chunked")
                raw.removeSubrange(..<end.upperBound)
            }
            if chunked == true {
                // size CRLF bytes CRLF, repeated; a zero size ends the body.
                while let lineEnd = raw.firstRange(of: Array("\r\n".utf8)),
                      let size = Int(String(decoding: raw[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0], radix: 16),
                      raw.count >= lineEnd.upperBound + size + 2 {
                    if size == 0 { parseFrames(&body); return }
                    body += raw[lineEnd.upperBound..<(lineEnd.upperBound + size)]
                    raw.removeSubrange(..<(lineEnd.upperBound + size + 2))
                }
            } else {
                body += raw
                raw.removeAll()
            }
            parseFrames(&body)
        }
    }

    /// Moves every complete frame (ended by a blank line) out of `body`.
    private func parseFrames(_ body: inout [UInt8]) {
        while let end = body.firstRange(of: Array("\n\n".utf8)) {
            let frame = String(decoding: body[..<end.lowerBound], as: UTF8.self)
            body.removeSubrange(..<end.upperBound)
            let lines = frame.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
            state.withLock { $0.dataLines += lines }
        }
    }

    func close() { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }
}
