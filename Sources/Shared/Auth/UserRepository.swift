import Foundation

public struct User: Sendable, Equatable, Codable {
    public let id: UUID
    public let username: String
    public let email: String
    public let isAdmin: Bool
    public let createdAt: Date
    public let lastLoginAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, username, email
        case isAdmin = "is_admin"
        case createdAt = "created_at"
        case lastLoginAt = "last_login_at"
    }
}

public enum UserStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Username or email already taken (compared case-insensitively); `field` says which.
    case duplicate(field: String)

    public var description: String {
        switch self {
        case .duplicate(let field): "\(field) is already registered"
        }
    }
}

/// Accounts in Postgres. Uniqueness of username and email is case-insensitive, enforced by
/// unique indexes on lower(...) so concurrent registrations cannot both win.
public struct UserRepository: Sendable {
    let db: PostgresClient

    public init(db: PostgresClient) { self.db = db }

    public func create(username: String, email: String, passwordHash: String, isAdmin: Bool = false) async throws -> User {
        do {
            let rows = try await db.query("""
                INSERT INTO users (username, email, password_hash, is_admin) VALUES ($1, $2, $3, $4)
                RETURNING id, username, email, is_admin, created_at, last_login_at
                """, [username, email, passwordHash, isAdmin]).rows
            return try Self.user(rows[0])
        } catch let error as PostgresError where error.isUniqueViolation {
            // The violated index names the field: users_username_lower or users_email_lower.
            throw UserStoreError.duplicate(field: "\(error)".contains("users_email_lower") ? "email" : "username")
        }
    }

    /// The account whose username or email equals `login` (case-insensitively), with its hash.
    public func findForLogin(_ login: String) async throws -> (User, passwordHash: String)? {
        let rows = try await db.query("""
            SELECT id, username, email, is_admin, created_at, last_login_at, password_hash FROM users
            WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1
            """, [login]).rows
        guard let row = rows.first else { return nil }
        return (try Self.user(row), try row.decode(String.self, "password_hash"))
    }

    public func find(id: UUID) async throws -> User? {
        let rows = try await db.query("""
            SELECT id, username, email, is_admin, created_at, last_login_at FROM users WHERE id = $1
            """, [id]).rows
        return try rows.first.map(Self.user)
    }

    public func recordLogin(id: UUID) async throws {
        try await db.query("UPDATE users SET last_login_at = now() WHERE id = $1", [id])
    }

    /// Sets the admin flag of the account named by username or email; nil if there is none.
    public func setAdmin(_ login: String, _ isAdmin: Bool) async throws -> User? {
        let rows = try await db.query("""
            UPDATE users SET is_admin = $2 WHERE lower(username) = lower($1) OR lower(email) = lower($1)
            RETURNING id, username, email, is_admin, created_at, last_login_at
            """, [login, isAdmin]).rows
        return try rows.first.map(Self.user)
    }

    public func list(limit: Int, offset: Int) async throws -> [User] {
        try await db.query("""
            SELECT id, username, email, is_admin, created_at, last_login_at FROM users
            ORDER BY created_at, id LIMIT $1 OFFSET $2
            """, [limit, offset]).rows.map(Self.user)
    }

    private static func user(_ row: PostgresRow) throws -> User {
        User(id: try row.decode(UUID.self, "id"), username: try row.decode(String.self, "username"),
             email: try row.decode(String.self, "email"), isAdmin: try row.decode(Bool.self, "is_admin"),
             createdAt: try row.decode(Date.self, "created_at"), lastLoginAt: try row.decode(Date?.self, "last_login_at"))
    }
}
