/// What went wrong talking to Redis. The messages name the endpoint and command, never the password.
public enum RedisError: Error, CustomStringConvertible, Sendable, Equatable {
    /// TCP connect, AUTH or SELECT failed.
    case connectionFailed(endpoint: String, reason: String)
    /// The server did not answer within the command timeout.
    case timeout(command: String, after: Duration)
    /// The connection broke while a command was in flight (server restarted or killed).
    case connectionLost(command: String, reason: String)
    /// The server answered with an error reply.
    case replyError(command: String, message: String)
    /// A reply had a type the caller did not expect.
    case unexpectedReply(command: String, reply: String)

    public var description: String {
        switch self {
        case .connectionFailed(let endpoint, let reason): "redis \(endpoint): cannot connect: \(reason)"
        case .timeout(let command, let after): "redis \(command): no reply within \(after)"
        case .connectionLost(let command, let reason): "redis \(command): connection lost: \(reason)"
        case .replyError(let command, let message): "redis \(command): \(message)"
        case .unexpectedReply(let command, let reply): "redis \(command): unexpected reply \(reply)"
        }
    }
}
