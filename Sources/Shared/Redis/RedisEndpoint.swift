import Foundation

/// Where Redis is, parsed from `REDIS_URL` (`redis://[[user]:password@]host[:port][/db]`).
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public static let expectedForm = "redis://[:password@]host:port[/db]"

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a Redis URL; the error text says what was expected (without echoing the password).
    public init(url: String) throws(EndpointParseError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw EndpointParseError("expected \(Self.expectedForm), got \"\(redactedURL(url))\"")
        }
        if scheme == "rediss" {
            throw EndpointParseError("rediss:// (TLS) is not supported: Debian's hiredis 0.14 has no TLS; use redis:// through a TLS tunnel")
        }
        guard scheme == "redis", let host = components.host, !host.isEmpty else {
            throw EndpointParseError("expected \(Self.expectedForm), got \"\(redactedURL(url))\"")
        }
        let port = components.port ?? 6379
        guard (1...65535).contains(port) else {
            throw EndpointParseError("port must be 1-65535, got \(port)")
        }
        var database = 0
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty {
            guard let index = Int(path), index >= 0 else {
                throw EndpointParseError("database must be a number >= 0 after the last /, got \"\(path)\"")
            }
            database = index
        }
        let user = components.user.flatMap { $0.isEmpty ? nil : $0 }
        let password = components.password.flatMap { $0.isEmpty ? nil : $0 }
        self.init(host: host, port: port, username: user, password: password, database: database)
    }

    /// host:port/db, safe to log.
    public var description: String { "\(host):\(port)/\(database)" }
}

/// A configuration value that did not parse; the message is shown after the variable's name.
public struct EndpointParseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The URL with any password replaced by `***`, for error messages and logs.
public func redactedURL(_ url: String) -> String {
    guard var components = URLComponents(string: url), components.password != nil else { return url }
    components.password = "***"
    return components.string ?? url
}
