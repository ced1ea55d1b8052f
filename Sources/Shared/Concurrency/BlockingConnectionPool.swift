import Foundation
import NIOPosix
import Synchronization

/// A connection whose calls block the calling thread (hiredis, libpq, libcurl).
public protocol BlockingConnection: AnyObject, Sendable {
    /// Cheap check made before a pooled connection is handed out again (no round trip).
    /// Returning false discards the connection and a fresh one is made.
    func isReusable() -> Bool
    /// Called on a pool thread when the connection is discarded.
    func close()
}

public enum PoolError: Error, CustomStringConvertible, Equatable {
    case acquireTimeout(pool: String, after: Duration)
    case shutDown(pool: String)

    public var description: String {
        switch self {
        case .acquireTimeout(let pool, let after):
            "\(pool): no connection became free within \(after) (pool exhausted)"
        case .shutDown(let pool):
            "\(pool): the pool has been shut down"
        }
    }
}

/// A bounded pool of blocking connections, each used on a dedicated thread.
///
/// Blocking C calls never run on the event loop or Swift's cooperative pool: every call made
/// through `withConnection` runs on an `NIOThreadPool` that has one thread per connection, so a
/// connection never waits for a thread and the async caller only suspends.
public final class BlockingConnectionPool<Connection: BlockingConnection>: Sendable {
    public let name: String
    public let maxConnections: Int
    private let acquireTimeout: Duration
    private let threads: NIOThreadPool
    private let connect: @Sendable () throws -> Connection
    private let state: Mutex<State>

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Connection?, any Error>
    }

    private struct State {
        var idle: [Connection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isShutDown = false
    }

    /// - Parameter connect: opens a connection; runs on a pool thread, may block.
    public init(
        name: String,
        maxConnections: Int,
        acquireTimeout: Duration = .seconds(5),
        connect: @escaping @Sendable () throws -> Connection
    ) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.name = name
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.connect = connect
        self.state = Mutex(State())
        self.threads = NIOThreadPool(numberOfThreads: maxConnections)
        self.threads.start()
    }

    /// Runs `body` with a connection on a dedicated thread. A connection that is no longer
    /// reusable afterwards (broken socket, timed-out command) is closed, not returned.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let leased = try await acquire()
        let connect = self.connect
        let outcome: LeaseOutcome<T>
        do {
            outcome = try await threads.runIfActive { () -> LeaseOutcome<T> in
                // Checked here, off the async caller: an idle connection may have been closed by
                // the server (restart, idle timeout); swap it for a fresh one instead of failing.
                let connection: Connection
                if let leased, leased.isReusable() {
                    connection = leased
                } else {
                    leased?.close()
                    do { connection = try connect() } catch { return LeaseOutcome(keep: nil, result: .failure(error)) }
                }
                let result = Result { try body(connection) }
                if connection.isReusable() { return LeaseOutcome(keep: connection, result: result) }
                connection.close()
                return LeaseOutcome(keep: nil, result: result)
            }
        } catch {
            // The thread pool is gone (shutdown): the leased connection cannot be used.
            releaseSlot()
            throw error
        }
        if let connection = outcome.keep { release(connection) } else { releaseSlot() }
        return try outcome.result.get()
    }

    /// Closes idle connections and stops the threads. In-flight calls finish first.
    public func shutdown() async {
        let (idle, waiters) = state.withLock { state -> ([Connection], [Waiter]) in
            state.isShutDown = true
            defer { state.idle = []; state.waiters = [] }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: PoolError.shutDown(pool: name)) }
        if !idle.isEmpty { _ = try? await threads.runIfActive { for connection in idle { connection.close() } } }
        try? await threads.shutdownGracefully()
    }

    /// Number of connections open now (idle and leased). For status pages and tests.
    public var openConnections: Int { state.withLock { $0.open } }

    // MARK: - Leasing

    private struct LeaseOutcome<T>: @unchecked Sendable {
        let keep: Connection?
        let result: Result<T, any Error>
    }

    private enum Lease {
        case existing(Connection)
        case newSlot
        case wait(UInt64)
        case shutDown
    }

    /// Returns an idle connection, or nil meaning "a slot is reserved: open a new one".
    /// Deciding and enqueueing as a waiter happen under one lock, so a release in between
    /// cannot be missed.
    private func acquire() async throws -> Connection? {
        let timeout = acquireTimeout
        return try await withCheckedThrowingContinuation { continuation in
            let lease = state.withLock { state -> Lease in
                if state.isShutDown { return .shutDown }
                if let connection = state.idle.popLast() { return .existing(connection) }
                if state.open < maxConnections {
                    state.open += 1
                    return .newSlot
                }
                state.nextWaiterID += 1
                state.waiters.append(Waiter(id: state.nextWaiterID, continuation: continuation))
                return .wait(state.nextWaiterID)
            }
            switch lease {
            case .shutDown: continuation.resume(throwing: PoolError.shutDown(pool: name))
            case .newSlot: continuation.resume(returning: nil)
            case .existing(let connection): continuation.resume(returning: connection)
            case .wait(let id):
                // Fails the waiter if nothing is released in time; a no-op once it was served.
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.expireWaiter(id)
                }
            }
        }
    }

    private func expireWaiter(_ id: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: PoolError.acquireTimeout(pool: name, after: acquireTimeout))
    }

    private func release(_ connection: Connection) {
        let waiter = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty || state.isShutDown {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: connection)
    }

    /// A slot freed without a connection: hand it to the first waiter (who will open one).
    private func releaseSlot() {
        let waiter = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty || state.isShutDown {
                state.open -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: nil)
    }
}
