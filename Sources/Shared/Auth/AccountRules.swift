/// A field of an account request that breaks a rule; becomes a 400 naming the field.
public struct AccountRuleViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let reason: String
    public var description: String { "\(field): \(reason)" }
}

/// The rules for usernames, emails and passwords, checked before anything touches the database.
public enum AccountRules {
    public static let usernameLength = 3...32
    /// bcrypt reads at most 72 bytes; longer passwords are refused, never silently cut.
    public static let passwordBytes = 8...72

    public static func checkUsername(_ username: String) throws(AccountRuleViolation) {
        guard usernameLength.contains(username.count) else {
            throw AccountRuleViolation(field: "username", reason: "must be 3-32 characters, got \(username.count)")
        }
        guard username.unicodeScalars.allSatisfy({ $0.isASCII && (isAlphanumeric($0) || "_.-".unicodeScalars.contains($0)) }) else {
            throw AccountRuleViolation(field: "username", reason: "may contain only A-Z a-z 0-9 _ . -")
        }
    }

    /// At most 254 characters (RFC 5321's path limit), at most 64 before the @.
    public static let emailLength = 254
    public static let emailLocalPartLength = 64

    /// A plausible address: one @, a local part of 1-64 characters, a dotted domain with no
    /// empty label, no spaces, control characters or `<>()[]\,;:"`, at most 254 characters.
    /// Counted and split in Unicode scalars, as JSON Schema's maxLength and pattern count them:
    /// by grapheme clusters a combining mark after "@" or "." would hide that character.
    public static func checkEmail(_ email: String) throws(AccountRuleViolation) {
        let scalars = Array(email.unicodeScalars)
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        let plausible = scalars.count <= emailLength && parts.count == 2
            && (1...emailLocalPartLength).contains(parts[0].count)
            && parts[1].contains(".") && parts[1].first != "." && parts[1].last != "."
            && !zip(parts[1], parts[1].dropFirst()).contains { $0 == "." && $1 == "." }
            && scalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f && !"<>()[]\\,;:\"".unicodeScalars.contains($0) }
        guard plausible else {
            throw AccountRuleViolation(field: "email", reason: "is not a plausible email address")
        }
    }

    /// Whether a login (username or email) is worth looking up: anything longer than an email
    /// may be, or holding a NUL (which PostgreSQL text cannot store), names no account.
    public static func couldNameAnAccount(_ login: String) -> Bool {
        login.unicodeScalars.count <= emailLength && !login.utf8.contains(0)
    }

    public static func checkPassword(_ password: String) throws(AccountRuleViolation) {
        let bytes = password.utf8.count
        guard bytes >= passwordBytes.lowerBound else {
            throw AccountRuleViolation(field: "password", reason: "must be at least 8 bytes, got \(bytes)")
        }
        guard bytes <= passwordBytes.upperBound else {
            throw AccountRuleViolation(field: "password", reason: "must be at most 72 bytes (bcrypt's limit), got \(bytes)")
        }
        guard !password.utf8.contains(0) else {
            throw AccountRuleViolation(field: "password", reason: "must not contain a NUL character")
        }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
