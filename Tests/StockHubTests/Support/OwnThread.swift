import Foundation

/// Runs CPU-bound work (model fits, whole backtests) on a thread of its own. Swift's
/// cooperative pool has one thread per core, 2 here: two synchronous fits on it would stall
/// every test that is polling a real process meanwhile, and those tests must not depend on how
/// busy the machine is. Expectations stay in the caller (issues are recorded on the test's task).
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
