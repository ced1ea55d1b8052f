import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// One pub/sub subscription per process for every job's events (PSUBSCRIBE on the events
/// channels), fanned out to local listeners such as Server-Sent Events streams. One dedicated
/// thread serves any number of listeners. After a reconnect, listeners get `.resync` because
/// events published while disconnected are gone: they re-read the job record instead.
public final class JobEventHub: Service, Sendable {
    public enum Event: Sendable, Equatable {
        /// The JSON text published with the change.
        case change(String)
        /// Events may have been missed; read the record again.
        case resync
        /// Nothing happened for a while (keeps idle streams alive through proxies).
        case heartbeat
    }

    private let endpoint: RedisEndpoint
    private let keys: RedisKeys.Queue
    private let logger: Logger
    private let heartbeatEvery: Duration
    private let listeners = Mutex<[String: [UUID: AsyncStream<Event>.Continuation]]>([:])
    private let stopping = Atomic<Bool>(false)
    private let thread = NIOThreadPool(numberOfThreads: 1)

    public init(endpoint: RedisEndpoint, keys: RedisKeys.Queue, logger: Logger, heartbeatEvery: Duration = .seconds(15)) {
        self.endpoint = endpoint
        self.keys = keys
        self.logger = logger
        self.heartbeatEvery = heartbeatEvery
        thread.start()
    }

    /// Events for one job until the caller stops iterating.
    public func events(for jobID: String) -> AsyncStream<Event> {
        let id = UUID()
        return AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            listeners.withLock { $0[jobID, default: [:]][id] = continuation }
            continuation.onTermination = { [weak self] _ in
                self?.listeners.withLock { all in
                    all[jobID]?[id] = nil
                    if all[jobID]?.isEmpty == true { all[jobID] = nil }
                }
            }
        }
    }

    public func run() async throws {
        try await runOnDedicatedThread(thread, stop: { self.stopping.store(true, ordering: .relaxed) }) { self.subscribeLoop() }
        listeners.withLock { all in
            for continuation in all.values.flatMap(\.values) { continuation.finish() }
            all = [:]
        }
        try? await thread.shutdownGracefully()
    }

    /// Blocking: runs on the hub's own thread until shutdown.
    private func subscribeLoop() {
        let pattern = keys.events("*")
        let prefix = keys.job("")
        var lastBeat = ContinuousClock.now
        var connectedBefore = false
        while !stopping.load(ordering: .relaxed) {
            do {
                let connection = try RedisConnection(endpoint: endpoint, connectTimeout: .seconds(2), commandTimeout: .seconds(2))
                _ = try connection.pipeline([["PSUBSCRIBE", RedisArgument(pattern)]])
                if connectedBefore { broadcast(.resync) }
                connectedBefore = true
                while !stopping.load(ordering: .relaxed) {
                    if let message = try connection.readPush(timeout: .milliseconds(500)),
                       let parts = message.array, parts.count == 4, parts[0].string == "pmessage",
                       let channel = parts[2].string, let payload = parts[3].string,
                       channel.hasPrefix(prefix), channel.hasSuffix(":events") {
                        let jobID = String(channel.dropFirst(prefix.count).dropLast(":events".count))
                        deliver(.change(payload), to: jobID)
                    }
                    if ContinuousClock.now - lastBeat >= heartbeatEvery {
                        lastBeat = .now
                        broadcast(.heartbeat)
                    }
                }
                connection.close()
            } catch {
                logger.warning("job events subscription lost: \(error); reconnecting")
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    private func deliver(_ event: Event, to jobID: String) {
        let targets = listeners.withLock { Array(($0[jobID] ?? [:]).values) }
        for continuation in targets { continuation.yield(event) }
    }

    private func broadcast(_ event: Event) {
        let targets = listeners.withLock { $0.values.flatMap(\.values) }
        for continuation in targets { continuation.yield(event) }
    }
}
