import Foundation

/// Settings for a Redis client: where, how many connections, how long to wait.
public struct RedisClientSettings: Sendable {
    public var endpoint: RedisEndpoint
    public var poolSize: Int
    public var connectTimeout: Duration
    public var commandTimeout: Duration
    public var acquireTimeout: Duration

    public init(
        endpoint: RedisEndpoint,
        poolSize: Int = 8,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2),
        acquireTimeout: Duration = .seconds(5)
    ) {
        self.endpoint = endpoint
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.acquireTimeout = acquireTimeout
    }
}

/// An async Redis client over a bounded pool of hiredis connections on dedicated threads.
///
/// Connections are opened lazily, so a client can be made while Redis is down; commands then
/// fail with `RedisError.connectionFailed` within the connect timeout, and succeed again once
/// the server is back (stale connections are detected and replaced before use).
public final class RedisClient: Sendable {
    public let settings: RedisClientSettings
    private let pool: BlockingConnectionPool<RedisConnection>

    public init(settings: RedisClientSettings) {
        self.settings = settings
        self.pool = BlockingConnectionPool(
            name: "redis \(settings.endpoint)",
            maxConnections: settings.poolSize,
            acquireTimeout: settings.acquireTimeout
        ) {
            try RedisConnection(
                endpoint: settings.endpoint,
                connectTimeout: settings.connectTimeout,
                commandTimeout: settings.commandTimeout
            )
        }
    }

    /// Sends one command; error replies throw `RedisError.replyError`.
    @discardableResult
    public func command(_ arguments: [RedisArgument], timeout: Duration? = nil) async throws -> RedisValue {
        try await pool.withConnection { try $0.command(arguments, timeout: timeout) }
    }

    @discardableResult
    public func command(_ arguments: RedisArgument..., timeout: Duration? = nil) async throws -> RedisValue {
        try await command(arguments, timeout: timeout)
    }

    /// Sends the commands in one round trip; replies come back in order, error replies in place.
    public func pipeline(_ commands: [[RedisArgument]], timeout: Duration? = nil) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        return try await pool.withConnection { try $0.pipeline(commands, timeout: timeout) }
    }

    /// PING; throws the typed error when Redis is unreachable.
    public func ping() async throws {
        let reply = try await command("PING")
        guard reply.string == "PONG" else { throw RedisError.unexpectedReply(command: "PING", reply: "\(reply)") }
    }

    public var openConnections: Int { pool.openConnections }

    public func shutdown() async { await pool.shutdown() }
}
