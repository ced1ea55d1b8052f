/// Every Redis key StockHub uses, in one place. All live under `stockhub:`.
public enum RedisKeys {
    /// A revoked access token's id; the key expires when the token would have.
    public static func revokedToken(_ jti: String) -> String { "stockhub:auth:revoked:\(jti)" }

    /// Failed logins for one account (keyed by a hash of the lower-cased login, so usernames
    /// never appear in Redis) within the current window.
    public static func loginFailuresForAccount(_ accountHash: String) -> String { "stockhub:throttle:login:account:\(accountHash)" }

    /// Failed logins from one client address within the current window.
    public static func loginFailuresForAddress(_ address: String) -> String { "stockhub:throttle:login:addr:\(address)" }

    /// Registrations attempted from one client address within the current window.
    public static func registrationsForAddress(_ address: String) -> String { "stockhub:throttle:register:addr:\(address)" }
}
