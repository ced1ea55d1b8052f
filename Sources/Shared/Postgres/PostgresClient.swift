import Foundation

public struct PostgresClientSettings: Sendable {
    /// A libpq connection URL, `postgres://user:password@host:port/database`.
    public var url: String
    public var poolSize: Int
    public var connectTimeout: Duration
    public var statementTimeout: Duration
    public var acquireTimeout: Duration
    /// Sets the connection's search_path (tests use it to work in their own schema).
    public var searchPath: String?
    public var applicationName: String

    public init(
        url: String,
        poolSize: Int = 8,
        connectTimeout: Duration = .seconds(3),
        statementTimeout: Duration = .seconds(10),
        acquireTimeout: Duration = .seconds(5),
        searchPath: String? = nil,
        applicationName: String = "stockhub"
    ) {
        self.url = url
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.acquireTimeout = acquireTimeout
        self.searchPath = searchPath
        self.applicationName = applicationName
    }

    /// host:port/database, safe to log.
    public var endpointDescription: String {
        guard let components = URLComponents(string: url) else { return "(unparsable DATABASE_URL)" }
        return "\(components.host ?? "localhost"):\(components.port ?? 5432)\(components.path)"
    }
}

/// An async Postgres client over a bounded pool of libpq connections on dedicated threads.
/// Connections open lazily: a client can be made while the server is down.
public final class PostgresClient: Sendable {
    public let settings: PostgresClientSettings
    private let pool: BlockingConnectionPool<PostgresConnection>

    public init(settings: PostgresClientSettings) {
        self.settings = settings
        self.pool = BlockingConnectionPool(
            name: "postgres \(settings.endpointDescription)",
            maxConnections: settings.poolSize,
            acquireTimeout: settings.acquireTimeout
        ) {
            try PostgresConnection(settings: settings)
        }
    }

    @discardableResult
    public func query(_ sql: StaticString, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresResult {
        try await pool.withConnection { try $0.query(sql, parameters) }
    }

    /// Runs `body` in a transaction on one connection, on a dedicated thread. The body is
    /// synchronous on purpose: a transaction never holds a connection across unrelated awaits.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await pool.withConnection { try $0.transaction(body) }
    }

    /// Runs `body` with one connection outside a transaction (advisory locks, several statements).
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    public func ping() async throws {
        let result = try await query("SELECT 1 AS ok")
        guard try result.rows.first?.decode(Int.self, "ok") == 1 else {
            throw PostgresError.decoding(column: "ok", reason: "SELECT 1 did not return 1")
        }
    }

    public func shutdown() async { await pool.shutdown() }
}
