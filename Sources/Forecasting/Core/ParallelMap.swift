import Foundation

/// Maps items on up to `jobs` threads (Dispatch's pool, never the cooperative pool's), keeping
/// their order. For CPU-bound work such as model fits; each thread claims the next item, so
/// uneven items balance out.
public func parallelMap<T: Sendable, U: Sendable>(_ items: [T], jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                                                  _ transform: @Sendable (T) -> U) -> [U] {
    guard jobs > 1, items.count > 1 else { return items.map(transform) }
    let results = Slots<U>(count: items.count)
    DispatchQueue.concurrentPerform(iterations: min(jobs, items.count)) { _ in
        while let index = results.claim() { results.set(index, transform(items[index])) }
    }
    return results.values.map { $0! }
}

/// Result slots written from several threads under a lock; also hands out the next index.
private final class Slots<U: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [U?]
    private var cursor = 0
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: U) { lock.lock(); slots[index] = value; lock.unlock() }
    func claim() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard cursor < slots.count else { return nil }
        cursor += 1
        return cursor - 1
    }
    var values: [U?] { lock.lock(); defer { lock.unlock() }; return slots }
}
