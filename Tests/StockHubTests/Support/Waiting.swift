import Foundation
import Synchronization

/// How long a test waits for something that should happen: a bound that turns a hang into a
/// failure with a message, never a measure of speed. The suite runs in parallel on 2 cores,
/// with Worker processes, bcrypt and model fits competing, so bounds are minutes, not seconds.
enum Patience {
    /// A process starting, a job finishing, a subscription syncing.
    static let generous: Duration = .seconds(120)
}

/// Polls `condition` until it holds; false if it still does not after `limit`.
func waitUntil(_ limit: Duration = Patience.generous, every interval: Duration = .milliseconds(50),
               _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}

/// Polls until `condition` holds, or throws naming what it was waiting for.
func waitFor(_ what: @autoclosure () -> String, within limit: Duration = Patience.generous,
             every interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool) async throws {
    guard try await waitUntil(limit, every: interval, condition) else {
        throw TestSetupError("gave up after \(limit) waiting for \(what())")
    }
}

/// Polls until `produce` returns a value, or throws naming what it was waiting for.
func waitForValue<T>(_ what: @autoclosure () -> String, within limit: Duration = Patience.generous,
                     every interval: Duration = .milliseconds(50), _ produce: () async throws -> T?) async throws -> T {
    var value: T?
    try await waitFor(what(), within: limit, every: interval) {
        value = try await produce()
        return value != nil
    }
    return value!
}

/// Runs `body` and returns its value, or throws if it has not finished after `limit`: for
/// behaviour whose promise is "answers, never hangs". Not a task group (a group would wait for
/// a hung child at its end); a body past the limit runs on and its answer is dropped.
func finishing<T: Sendable>(within limit: Duration, _ what: String,
                            _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let answered = Mutex(false)
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let answer: @Sendable (Result<T, any Error>) -> Void = { result in
            if answered.withLock({ done in defer { done = true }; return !done }) { continuation.resume(with: result) }
        }
        let timer = Task {
            do { try await Task.sleep(for: limit) } catch { return }
            answer(.failure(TestSetupError("\(what) did not finish within \(limit): a hang")))
        }
        Task {
            do { answer(.success(try await body())) } catch { answer(.failure(error)) }
            timer.cancel()
        }
    }
}
