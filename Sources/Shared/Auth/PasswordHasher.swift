import Foundation
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Synchronization

/// bcrypt hashing and checking, on threads of its own: at cost 12 one hash takes a few hundred
/// milliseconds of CPU, which must never stall the event loop or the cooperative pool.
public final class PasswordHasher: Sendable {
    public static let minimumCost = 10
    public let cost: Int
    private let threads: NIOThreadPool
    /// Verified against when the account does not exist, so an unknown user costs the same
    /// bcrypt work as a wrong password and timing does not reveal which accounts exist. Made on
    /// the hasher's own thread right after start (a bcrypt must not block whoever builds this).
    private let decoy = Mutex<String?>(nil)

    public init(cost: Int, threads: Int = System.coreCount) {
        precondition(cost >= Self.minimumCost && cost <= 31, "bcrypt cost must be 10-31")
        self.cost = cost
        self.threads = NIOThreadPool(numberOfThreads: max(1, threads))
        self.threads.start()
        self.threads.submit { [self] _ in _ = decoyHash() }
    }

    /// Blocking; called on the hasher's threads only.
    private func decoyHash() -> String {
        decoy.withLock { stored in
            if let stored { return stored }
            let made = Bcrypt.hash(UUID().uuidString, cost: UInt8(cost))
            stored = made
            return made
        }
    }

    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await threads.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Checks `password` against `hash`; with no hash (unknown account) it checks the decoy
    /// and returns false, spending the same time.
    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let matches = try await threads.runIfActive { Bcrypt.verify(password, hash: hash ?? self.decoyHash()) }
        return hash != nil && matches
    }

    public func shutdown() async { try? await threads.shutdownGracefully() }
}
