import Synchronization

/// A small in-process cache whose entries expire at a given instant, bounded by a number of
/// entries and a total cost (e.g. bytes). Used where a value is immutable for a while and a
/// network round trip per request costs more than the answer itself.
///
/// Eviction is deliberately simple: when an insert finds the cache full, expired entries are
/// swept, and if that is not enough, arbitrary entries go until a quarter of the room is free.
/// The sweep therefore runs at most once per quarter-capacity of inserts (amortised O(1)).
public final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        let value: Value
        let expires: ContinuousClock.Instant
        let cost: Int
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var totalCost = 0
    }

    public let maxEntries: Int
    public let maxCost: Int
    private let state = Mutex(State())

    public init(maxEntries: Int, maxCost: Int = .max) {
        precondition(maxEntries > 0 && maxCost > 0)
        self.maxEntries = maxEntries
        self.maxCost = maxCost
    }

    /// The value, unless it is missing or has expired (an expired entry is dropped).
    public func value(for key: Key, now: ContinuousClock.Instant = .now) -> Value? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                state.totalCost -= entry.cost
                return nil
            }
            return entry.value
        }
    }

    /// Stores the value until `expires`. A value costlier than the whole cache is not kept.
    public func insert(_ value: Value, for key: Key, expires: ContinuousClock.Instant, cost: Int = 1, now: ContinuousClock.Instant = .now) {
        guard cost <= maxCost, expires > now else { return }
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: key) { state.totalCost -= old.cost }
            if state.entries.count >= maxEntries || state.totalCost + cost > maxCost {
                Self.makeRoom(&state, now: now, entries: maxEntries * 3 / 4, cost: maxCost - max(cost, maxCost / 4))
            }
            state.entries[key] = Entry(value: value, expires: expires, cost: cost)
            state.totalCost += cost
        }
    }

    public func removeAll() {
        state.withLock { $0 = State() }
    }

    public var count: Int { state.withLock { $0.entries.count } }

    private static func makeRoom(_ state: inout State, now: ContinuousClock.Instant, entries: Int, cost: Int) {
        for (key, entry) in state.entries where entry.expires <= now {
            state.entries[key] = nil
            state.totalCost -= entry.cost
        }
        while !state.entries.isEmpty, state.entries.count > entries || state.totalCost > cost {
            let (_, evicted) = state.entries.remove(at: state.entries.startIndex)
            state.totalCost -= evicted.cost
        }
    }
}
