import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// This process's copy of the revoked-token list, kept current by one pub/sub subscription, so
/// a protected request needs no Redis round trip to learn that its token was not logged out.
///
/// The copy is trusted only while it is provably complete: after SUBSCRIBE is confirmed (so no
/// later revocation can be missed) *and* the index of earlier revocations has been loaded, and
/// only while the subscription answers. When the connection drops, a ping goes unanswered, or
/// the watcher has not synced yet, `lookup` says "don't know" and `TokenRevocations` asks Redis
/// per request as before (which, with Redis down, means 503, never a possibly-revoked token).
///
/// Across processes: Redis queues the message to every subscriber while it executes the
/// logout's PUBLISH, before the logout can answer, so by the time the client sends its next
/// request the message is in this process's socket (or being applied). `lookup` therefore also
/// refuses to answer while the subscription socket has unread data or a batch is being applied
/// (a zero-timeout poll, never blocking), and the request asks Redis instead. A silently dead
/// connection stops being trusted after `pingEvery + pingTimeout`.
public final class RevocationWatcher: Service, Sendable {
    private struct State {
        var synced = false
        /// jti → the time after which its token is refused as expired anyway.
        var revoked: [String: Date] = [:]
    }

    private let endpoint: RedisEndpoint
    private let keys: RedisKeys
    private let logger: Logger
    private let pingEvery: Duration
    private let pingTimeout: Duration
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    /// The subscription's socket (-1 when there is none) and whether messages read from it are
    /// still being applied: see `lookup`.
    private let socket = Atomic<Int32>(-1)
    private let draining = Atomic<Bool>(false)
    private let thread = NIOThreadPool(numberOfThreads: 1)

    public init(endpoint: RedisEndpoint, keys: RedisKeys, logger: Logger, pingEvery: Duration = .seconds(1), pingTimeout: Duration = .seconds(2)) {
        self.endpoint = endpoint
        self.keys = keys
        self.logger = logger
        self.pingEvery = pingEvery
        self.pingTimeout = pingTimeout
        thread.start()
    }

    /// Whether the local copy is complete and current (false: callers ask Redis).
    public var isSynced: Bool { state.withLock { $0.synced } && socket.load(ordering: .sequentiallyConsistent) >= 0 }

    /// true/false when the copy is trusted; nil when the caller must ask Redis.
    func lookup(_ jti: String, now: Date = Date()) -> Bool? {
        // Order matters: first "nothing unread in the socket", then "nothing being applied". If
        // the socket is empty, any message already read was read after `draining` was set, so
        // `draining` is still true or the message has been applied.
        let descriptor = socket.load(ordering: .sequentiallyConsistent)
        guard descriptor >= 0 else { return nil }
        var readable = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&readable, 1, 0) == 0, !draining.load(ordering: .sequentiallyConsistent) else { return nil }
        return state.withLock { state in
            guard state.synced else { return nil }
            guard let until = state.revoked[jti] else { return false }
            return until > now
        }
    }

    /// Records a revocation made by this process at once (its own pub/sub echo follows).
    func note(_ jti: String, until: Date) {
        state.withLock { $0.revoked[jti] = until }
    }

    public func run() async throws {
        try await runOnDedicatedThread(thread, stop: { self.stopping.store(true, ordering: .relaxed) }) { self.subscribeLoop() }
        state.withLock { $0.synced = false }
        try? await thread.shutdownGracefully()
    }

    /// Blocking: runs on the watcher's own thread until shutdown.
    private func subscribeLoop() {
        var failures = 0
        while !stopping.load(ordering: .relaxed) {
            do {
                try follow(onSynced: {
                    if failures > 0 { self.logger.notice("token revocation subscription back; answering from memory again") }
                    failures = 0
                })
            } catch {
                state.withLock { $0.synced = false }
                failures += 1
                // Once per outage, not once per retry.
                if failures == 1 { logger.warning("token revocation subscription lost: \(error); checking Redis per request until it is back") }
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
        }
        state.withLock { $0.synced = false }
    }

    private struct Unanswered: Error, CustomStringConvertible {
        var description: String { "the subscription did not answer a ping" }
    }

    /// Subscribes, loads the index, then applies messages until shutdown or a failure (throws).
    private func follow(onSynced: () -> Void) throws {
        let subscription = try RedisConnection(endpoint: endpoint, connectTimeout: .seconds(2), commandTimeout: .seconds(2))
        defer {
            state.withLock { $0.synced = false }
            socket.store(-1, ordering: .sequentiallyConsistent)
            draining.store(false, ordering: .sequentiallyConsistent)
            subscription.close()
        }
        // The confirmation is read before loading the index: anything revoked from here on
        // arrives as a message, anything before is in the index.
        _ = try subscription.pipeline([["SUBSCRIBE", RedisArgument(keys.revocationChannel)]])
        let loader = try RedisConnection(endpoint: endpoint, connectTimeout: .seconds(2), commandTimeout: .seconds(5))
        let now = Int(Date().timeIntervalSince1970)
        let replies = try loader.pipeline([
            ["ZREMRANGEBYSCORE", RedisArgument(keys.revokedIndex), "-inf", RedisArgument("(" + String(now))],
            ["ZRANGE", RedisArgument(keys.revokedIndex), "0", "-1", "WITHSCORES"],
        ])
        loader.close()
        guard let flat = replies[1].array else { throw RedisError.unexpectedReply(command: "ZRANGE", reply: "\(replies[1])") }
        var loaded: [String: Date] = [:]
        for pair in stride(from: 0, to: flat.count - 1, by: 2) {
            if let jti = flat[pair].string, let score = flat[pair + 1].string.flatMap(Double.init) {
                loaded[jti] = Date(timeIntervalSince1970: score)
            }
        }
        state.withLock { state in
            state.revoked.merge(loaded) { max($0, $1) }
            state.synced = true
        }
        onSynced()
        logger.debug("token revocations synced", metadata: ["known": "\(loaded.count)"])

        guard let descriptor = subscription.fileDescriptor else { throw RedisError.connectionLost(command: "subscription", reason: "closed") }
        // Messages hiredis already buffered with the SUBSCRIBE reply would not wake poll(2).
        try drain(subscription)
        socket.store(descriptor, ordering: .sequentiallyConsistent)

        var lastHeard = ContinuousClock.now
        var pingSent: ContinuousClock.Instant?
        var lastPrune = ContinuousClock.now
        while !stopping.load(ordering: .relaxed) {
            var readable = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&readable, 1, 250)
            if ready > 0 {
                if try drain(subscription) > 0 {
                    lastHeard = .now
                    pingSent = nil
                }
            } else if ready < 0, errno != EINTR {
                throw RedisError.connectionLost(command: "subscription", reason: "poll failed: errno \(errno)")
            } else if let sent = pingSent {
                if ContinuousClock.now - sent >= pingTimeout { throw Unanswered() }
            } else if ContinuousClock.now - lastHeard >= pingEvery {
                try subscription.send(["PING"])
                pingSent = .now
            }
            if ContinuousClock.now - lastPrune >= .seconds(60) {
                lastPrune = .now
                let now = Date()
                state.withLock { $0.revoked = $0.revoked.filter { $0.value > now } }
            }
        }
    }

    /// Applies every message that is readable now (`draining` is set before the first read, so
    /// `lookup` cannot see an empty socket while a read message is not yet applied).
    @discardableResult
    private func drain(_ subscription: RedisConnection) throws -> Int {
        draining.store(true, ordering: .sequentiallyConsistent)
        var count = 0
        while let message = try subscription.readPush(timeout: .milliseconds(1)) {
            count += 1
            if let parts = message.array, parts.count == 3, parts[0].string == "message", let payload = parts[2].string {
                apply(payload)
            }
        }
        draining.store(false, ordering: .sequentiallyConsistent)
        return count
    }

    /// A message is `jti expiryUnixSeconds` (see `TokenRevocations.revoke`).
    private func apply(_ payload: String) {
        let fields = payload.split(separator: " ")
        guard fields.count == 2, let seconds = Double(fields[1]) else {
            logger.warning("ignoring a malformed revocation message", metadata: ["payload": "\(payload.prefix(100))"])
            return
        }
        note(String(fields[0]), until: Date(timeIntervalSince1970: seconds))
    }
}
