import Foundation
import Shared

/// A redis-server of the test's own, on a free port with appendonly persistence, that the test
/// may stop and start again (the shared server must stay up for everyone else).
final class RedisServerProcess: @unchecked Sendable {
    let port: Int
    let directory: URL
    private var child: ChildProcess?

    init() throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("stockhub-redis"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    func start() async throws {
        let server = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let server else { throw TestSetupError("redis-server is not installed (scripts/test.sh installs it)") }
        child = try ChildProcess(server, [
            "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path,
            // fsync every write: a SIGKILL then loses nothing, so tests can kill it at any moment.
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
        ], environment: [:])
        // Ready when it answers PING: after a restart it refuses commands with LOADING while
        // it replays the append-only file.
        let probe = RedisClient(settings: RedisClientSettings(endpoint: try RedisEndpoint(url: url), poolSize: 1))
        defer { Task { await probe.shutdown() } }
        // The bound is generous: replaying the file on a loaded machine can take seconds.
        let ready = try await waitUntil(every: .milliseconds(25)) {
            guard child?.isRunning == true else { throw TestSetupError("redis-server on \(port) exited: \(child?.output ?? "")") }
            guard canConnect() else { return false }
            return (try? await probe.ping()) != nil
        }
        guard ready else { throw TestSetupError("redis-server on \(port) did not answer PING within \(Patience.generous): \(child?.output ?? "")") }
    }

    /// SIGKILL: the harshest stop, as a crash or an OOM kill would do it.
    func kill() async {
        child?.signal(SIGKILL)
        _ = await child?.waitForExit(limit: Patience.generous)
        child = nil
    }

    private func canConnect() -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    deinit {
        child = nil
        try? FileManager.default.removeItem(at: directory)
    }
}
