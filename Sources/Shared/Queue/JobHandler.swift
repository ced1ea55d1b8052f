/// Runs one type of job. Handlers are idempotent: a job may run again after a crash, so
/// whatever it writes (artifacts, cache entries) is keyed deterministically.
public protocol JobHandler: Sendable {
    var type: String { get }
    /// - Parameters:
    ///   - params: the job's input, JSON text.
    ///   - progress: reports progress (0-1) and a stage text to people watching the job.
    /// - Returns: the result, JSON text.
    func run(params: String, progress: @escaping @Sendable (Double, String) async -> Void) async throws -> String
}

/// How a handler says a job failed. Any other error thrown counts as transient.
public enum JobFailure: Error, Sendable, CustomStringConvertible {
    /// Retrying cannot help (bad input, unknown symbol): the job fails now.
    case permanent(String)
    /// Worth another try later (provider timeout, rate limit): retried with backoff.
    case transient(String)

    public var description: String {
        switch self {
        case .permanent(let message), .transient(let message): message
        }
    }
}
