/// What went wrong talking to Postgres. Messages never contain the password.
public enum PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    case connectionFailed(endpoint: String, reason: String)
    /// The statement did not finish within the timeout; it was cancelled on the server.
    case timeout(statement: String, after: Duration)
    case connectionLost(statement: String, reason: String)
    /// The server rejected the statement; `sqlState` is the five-character SQLSTATE code.
    case server(sqlState: String, message: String, detail: String?, statement: String)
    /// A parameter cannot be sent as given (for example text containing a NUL byte).
    case invalidParameter(index: Int, reason: String)
    /// A column could not be decoded into the requested Swift type.
    case decoding(column: String, reason: String)
    /// A numbered migration is inconsistent with what the database recorded.
    case migration(version: Int, reason: String)

    public var description: String {
        switch self {
        case .connectionFailed(let endpoint, let reason): "postgres \(endpoint): cannot connect: \(reason)"
        case .timeout(let statement, let after): "postgres: \(statement) did not finish within \(after) and was cancelled"
        case .connectionLost(let statement, let reason): "postgres: connection lost during \(statement): \(reason)"
        case .server(let state, let message, let detail, let statement):
            "postgres: \(statement) failed: \(message) (SQLSTATE \(state))" + (detail.map { "; \($0)" } ?? "")
        case .invalidParameter(let index, let reason): "postgres: parameter $\(index) \(reason)"
        case .decoding(let column, let reason): "postgres: column \(column): \(reason)"
        case .migration(let version, let reason): "postgres migration \(version): \(reason)"
        }
    }

    /// SQLSTATE 23505: a unique constraint refused the row.
    public var isUniqueViolation: Bool {
        if case .server(let state, _, _, _) = self { return state == "23505" }
        return false
    }
}
