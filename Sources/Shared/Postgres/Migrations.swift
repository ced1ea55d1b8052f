import Foundation

/// One numbered schema change. Versions are applied in order, each exactly once, each in its
/// own transaction. A migration is never edited once released: add a new one instead
/// (the recorded checksum catches edits).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: StaticString

    public init(version: Int, name: String, sql: StaticString) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    var checksum: String {
        SHA256Hex.of(sql.description)
    }
}

/// StockHub's schema, in order. Later issues append here (users, …).
public enum StockHubMigrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "users", sql: """
            CREATE TABLE users (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                username text NOT NULL CHECK (length(username) BETWEEN 3 AND 32),
                email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
                password_hash text NOT NULL,
                is_admin boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL DEFAULT now(),
                last_login_at timestamptz
            );
            CREATE UNIQUE INDEX users_username_lower ON users (lower(username));
            CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
            """),
        // Daily closes a vendor returned, kept per source so history accumulates across days
        // (free keys give 100 days at a time) and adjusted and raw closes are never mixed.
        Migration(version: 2, name: "daily_closes", sql: """
            CREATE TABLE daily_closes (
                symbol text NOT NULL,
                source text NOT NULL,
                day date NOT NULL,
                close double precision NOT NULL CHECK (close > 0),
                fetched_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (symbol, source, day)
            );
            """),
    ]
}

/// Applies numbered migrations under a Postgres advisory lock, so several processes starting at
/// once (web ×N plus the release phase) apply each migration exactly once: the first to take the
/// lock applies what is missing, the others wait, then find nothing left to do.
public struct Migrator: Sendable {
    /// pg_advisory_lock key: the bytes of "stockhub" read as a number; any fixed value works,
    /// it only has to be the same in every process.
    static let lockKey: Int64 = 0x73746f636b687562

    public let migrations: [Migration]

    public init(migrations: [Migration] = StockHubMigrations.all) throws(PostgresError) {
        var seen = Set<Int>()
        for (index, migration) in migrations.enumerated() {
            guard migration.version > 0, seen.insert(migration.version).inserted else {
                throw .migration(version: migration.version, reason: "versions must be positive and unique")
            }
            if index > 0, migration.version < migrations[index - 1].version {
                throw .migration(version: migration.version, reason: "listed out of order")
            }
        }
        self.migrations = migrations
    }

    /// Applies what is missing; returns the versions this call applied.
    @discardableResult
    public func migrate(on client: PostgresClient, lockTimeout: Duration = .seconds(120)) async throws -> [Int] {
        let migrations = self.migrations
        return try await client.withConnection { connection in
            // Session-level lock: held across the per-migration transactions below.
            try connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey], timeout: lockTimeout)
            defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }

            try connection.executeScript("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let rows = try connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version").rows
            var recorded: [Int: String] = [:]
            for row in rows { recorded[try row.decode(Int.self, "version")] = try row.decode(String.self, "checksum") }

            var applied: [Int] = []
            for migration in migrations {
                if let checksum = recorded[migration.version] {
                    guard checksum == migration.checksum else {
                        throw PostgresError.migration(
                            version: migration.version,
                            reason: "\(migration.name) was changed after it was applied; add a new migration instead")
                    }
                    continue
                }
                try connection.transaction { tx in
                    try tx.executeScript(migration.sql, timeout: .seconds(300))
                    try tx.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, migration.checksum])
                }
                applied.append(migration.version)
            }
            return applied
        }
    }
}
