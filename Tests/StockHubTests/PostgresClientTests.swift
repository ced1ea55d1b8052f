import Foundation
import Shared
import Testing

@Suite("Postgres client against a real server")
struct PostgresClientTests {
    let db: PostgresClient

    init() throws {
        db = PostgresClient(settings: try TestServices.postgresSettings())
    }

    /// Each test works in a temporary table of its own session… but a pool spreads statements
    /// over connections, so tests use a real table with a per-test key column instead.
    static let table: StaticString = """
        CREATE TABLE IF NOT EXISTS client_test_notes (
            test text NOT NULL, id serial PRIMARY KEY, body text NOT NULL, amount double precision,
            flag boolean, blob bytea, at timestamptz, uid uuid)
        """

    func prepare() async throws -> String {
        // Parallel tests would race on CREATE TABLE IF NOT EXISTS (Postgres can then fail with a
        // duplicate pg_type row): serialize the creation with a transaction-scoped advisory lock.
        _ = try await db.transaction { tx in
            try tx.query("SELECT pg_advisory_xact_lock($1)", [Int64(0x7465_7374)])
            try tx.executeScript(Self.table)
        }
        return uniqueName("pg")
    }

    @Test func hostileStringsAreStoredVerbatim() async throws {
        let test = try await prepare()
        let hostile = [
            "O'Brien", "'; DROP TABLE client_test_notes; --", "\"quoted\"", "back\\slash", "$1 $2",
            "ünïcödé ✓ 📈", "line\nbreak\ttab", "' OR '1'='1", String(repeating: "x", count: 100_000),
        ]
        for text in hostile {
            try await db.query("INSERT INTO client_test_notes (test, body) VALUES ($1, $2)", [test, text])
        }
        let rows = try await db.query("SELECT body FROM client_test_notes WHERE test = $1 ORDER BY id", [test]).rows
        #expect(try rows.map { try $0.decode(String.self, "body") } == hostile)
        // The table survived the "DROP TABLE" string.
        #expect(try await db.query("SELECT count(*)::int AS n FROM client_test_notes WHERE test = $1", [test]).rows[0].decode(Int.self, "n") == hostile.count)
    }

    @Test func nulByteIsRejectedClearlyNotTruncated() async throws {
        let test = try await prepare()
        await #expect(throws: PostgresError.invalidParameter(
            index: 2, reason: "contains a NUL byte (0x00), which PostgreSQL text cannot store")) {
            try await db.query("INSERT INTO client_test_notes (test, body) VALUES ($1, $2)", [test, "abc\u{0}def"])
        }
        #expect(try await db.query("SELECT count(*)::int AS n FROM client_test_notes WHERE test = $1", [test]).rows[0].decode(Int.self, "n") == 0)
    }

    @Test func typedValuesRoundTrip() async throws {
        let test = try await prepare()
        let blob: [UInt8] = [0, 1, 2, 254, 255, 0, 39, 92]
        let at = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let uid = UUID()
        try await db.query(
            "INSERT INTO client_test_notes (test, body, amount, flag, blob, at, uid) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [test, "typed", 1234.5678, true, blob, at, uid])
        try await db.query("INSERT INTO client_test_notes (test, body, amount) VALUES ($1, $2, $3)", [test, "nulls", Double?.none])
        let rows = try await db.query("SELECT * FROM client_test_notes WHERE test = $1 ORDER BY id", [test]).rows
        #expect(try rows[0].decode(Double.self, "amount") == 1234.5678)
        #expect(try rows[0].decode(Bool.self, "flag"))
        #expect(try rows[0].decode([UInt8].self, "blob") == blob)
        #expect(abs(try rows[0].decode(Date.self, "at").timeIntervalSince(at)) < 0.000_01)
        #expect(try rows[0].decode(UUID.self, "uid") == uid)
        #expect(try rows[1].decode(Double?.self, "amount") == nil)
        #expect(throws: PostgresError.self) { try rows[1].decode(Double.self, "amount") }
        #expect(throws: PostgresError.self) { try rows[0].decode(Int.self, "no_such_column") }
    }

    @Test func transactionRollsBackOnError() async throws {
        let test = try await prepare()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await db.transaction { tx in
                try tx.query("INSERT INTO client_test_notes (test, body) VALUES ($1, $2)", [test, "rolled back"])
                throw Abort()
            }
        }
        // A server-side error inside the transaction rolls back the earlier statements too.
        await #expect(throws: PostgresError.self) {
            try await db.transaction { tx in
                try tx.query("INSERT INTO client_test_notes (test, body) VALUES ($1, $2)", [test, "also rolled back"])
                try tx.query("INSERT INTO client_test_notes (test, body) VALUES ($1, NULL)", [test])
            }
        }
        _ = try await db.transaction { tx in
            try tx.query("INSERT INTO client_test_notes (test, body) VALUES ($1, $2)", [test, "committed"])
        }
        let bodies = try await db.query("SELECT body FROM client_test_notes WHERE test = $1", [test]).rows.map { try $0.decode(String.self, "body") }
        #expect(bodies == ["committed"])
    }

    @Test func serverErrorsCarrySQLState() async throws {
        await #expect {
            try await db.query("SELECT * FROM table_that_does_not_exist")
        } throws: { error in
            guard case PostgresError.server(let state, let message, _, _) = error else { return false }
            return state == "42P01" && message.contains("table_that_does_not_exist")
        }
        // The connection that saw the error is still usable.
        try await db.ping()
    }

    @Test func slowStatementIsCancelledAtTheTimeout() async throws {
        let impatient = PostgresClient(settings: PostgresClientSettings(
            url: try TestServices.variable("DATABASE_URL"), poolSize: 1, statementTimeout: .milliseconds(500)))
        await #expect {
            try await impatient.query("SELECT pg_sleep(10)")
        } throws: { error in
            if case PostgresError.timeout = error { return true }
            return false
        }
        try await impatient.ping()
        await impatient.shutdown()
    }

    /// Refused (nothing listens) and silent (a port that accepts and never speaks): both end in
    /// a typed connection error naming the endpoint and never the password. The silent one is
    /// the client's connect timeout at work (3 s by default); the 60 s bound only tells a hang.
    @Test(arguments: ["refusing", "silent"])
    func anUnreachableServerIsATypedErrorNeverAHang(_ failure: String) async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let port = failure == "silent" ? silent.port : try freePort()
        let nowhere = PostgresClient(settings: PostgresClientSettings(url: "postgres://nobody:pw@127.0.0.1:\(port)/none", poolSize: 1))
        let outcome = try await finishing(within: .seconds(60), "a ping of a \(failure) Postgres") { () -> String? in
            do { try await nowhere.ping() } catch PostgresError.connectionFailed(let endpoint, let reason) {
                return endpoint == "127.0.0.1:\(port)/none" && !reason.contains("pw") ? nil : "\(endpoint): \(reason)"
            } catch { return "not a connection failure: \(error)" }
            return "the ping succeeded"
        }
        #expect(outcome == nil, "\(outcome ?? "")")
        await nowhere.shutdown()
    }
}

@Suite("Numbered migrations", .serialized)
struct MigrationTests {
    static let schema = "stockhub_migration_test"

    static let migrations = [
        Migration(version: 1, name: "create effects", sql: """
            CREATE TABLE migration_effects (id serial PRIMARY KEY, note text NOT NULL);
            CREATE INDEX migration_effects_note ON migration_effects (note);
            """),
        Migration(version: 2, name: "record a row", sql: "INSERT INTO migration_effects (note) VALUES ('applied once')"),
        Migration(version: 3, name: "slow step", sql: "SELECT pg_sleep(0.3); ALTER TABLE migration_effects ADD COLUMN extra int"),
    ]

    /// A schema of this suite's own, so these migrations never touch the real schema_migrations.
    func freshSchema() async throws -> PostgresClient {
        let admin = PostgresClient(settings: try TestServices.postgresSettings(poolSize: 1))
        try await admin.withConnection { connection in
            try connection.executeScript("DROP SCHEMA IF EXISTS stockhub_migration_test CASCADE; CREATE SCHEMA stockhub_migration_test")
        }
        await admin.shutdown()
        return PostgresClient(settings: try TestServices.postgresSettings(searchPath: Self.schema, poolSize: 8))
    }

    @Test func concurrentMigratorsApplyEachMigrationExactlyOnce() async throws {
        let db = try await freshSchema()
        let migrator = try Migrator(migrations: Self.migrations)
        // Eight "processes" start at once, each with its own connection.
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 { group.addTask { try await migrator.migrate(on: db) } }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == [1, 2, 3])
        #expect(try await db.query("SELECT count(*)::int AS n FROM migration_effects").rows[0].decode(Int.self, "n") == 1)
        let versions = try await db.query("SELECT version FROM schema_migrations ORDER BY version").rows.map { try $0.decode(Int.self, "version") }
        #expect(versions == [1, 2, 3])
        // Running again applies nothing.
        #expect(try await migrator.migrate(on: db).isEmpty)
        await db.shutdown()
    }

    @Test func failedMigrationRollsBackAndStopsLaterOnes() async throws {
        let db = try await freshSchema()
        let broken = try Migrator(migrations: [
            Self.migrations[0],
            Migration(version: 2, name: "broken", sql: "INSERT INTO migration_effects (note) VALUES ('half'); SELECT * FROM nope"),
            Migration(version: 3, name: "after broken", sql: "INSERT INTO migration_effects (note) VALUES ('never')"),
        ])
        await #expect(throws: PostgresError.self) { try await broken.migrate(on: db) }
        #expect(try await db.query("SELECT count(*)::int AS n FROM migration_effects").rows[0].decode(Int.self, "n") == 0)
        let versions = try await db.query("SELECT version FROM schema_migrations").rows.map { try $0.decode(Int.self, "version") }
        #expect(versions == [1])
        await db.shutdown()
    }

    @Test func editedMigrationIsRefused() async throws {
        let db = try await freshSchema()
        try await Migrator(migrations: [Self.migrations[0]]).migrate(on: db)
        let edited = try Migrator(migrations: [Migration(version: 1, name: "create effects", sql: "SELECT 1")])
        await #expect {
            try await edited.migrate(on: db)
        } throws: { error in
            guard case PostgresError.migration(1, let reason) = error else { return false }
            return reason.contains("changed after it was applied")
        }
        await db.shutdown()
    }

    @Test func duplicateOrUnorderedVersionsAreRejected() {
        #expect(throws: PostgresError.self) { try Migrator(migrations: [Self.migrations[0], Self.migrations[0]]) }
        #expect(throws: PostgresError.self) { try Migrator(migrations: [Self.migrations[1], Self.migrations[0]]) }
    }
}
