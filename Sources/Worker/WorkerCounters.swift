import Logging
import Synchronization

/// How many jobs ended which way, for one info line a minute instead of one per job.
final class WorkerCounters: Sendable {
    enum Kind: Int, CaseIterable, Sendable {
        case done, failed, retried, timedOut, released, deadLettered

        var label: String {
            switch self {
            case .done: "done"
            case .failed: "failed"
            case .retried: "retried"
            case .timedOut: "timed_out"
            case .released: "released"
            case .deadLettered: "dead_lettered"
            }
        }
    }

    struct Counts: Sendable {
        var values = [Int](repeating: 0, count: Kind.allCases.count)
        var isEmpty: Bool { values.allSatisfy { $0 == 0 } }
        var metadata: Logger.Metadata {
            Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0.label, Logger.MetadataValue.string("\(values[$0.rawValue])")) })
        }
    }

    private struct State {
        var recent = Counts()
        var total = Counts()
        var since = ContinuousClock.now
    }

    private let state = Mutex(State())

    func add(_ kind: Kind) {
        state.withLock { state in
            state.recent.values[kind.rawValue] += 1
            state.total.values[kind.rawValue] += 1
        }
    }

    /// The counts since the last take, once `period` has passed and something happened.
    func takeIfDue(every period: Duration) -> Counts? {
        state.withLock { state in
            guard ContinuousClock.now - state.since >= period else { return nil }
            state.since = .now
            defer { state.recent = Counts() }
            return state.recent.isEmpty ? nil : state.recent
        }
    }

    func totals() -> Counts { state.withLock { $0.total } }
}
