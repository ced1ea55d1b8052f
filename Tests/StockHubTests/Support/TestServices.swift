import Foundation
import Shared
import Testing

/// The real servers the test command (`scripts/test.sh`) starts and describes in the environment.
enum TestServices {
    static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSetupError("\(name) is not set: run the suite with scripts/test.sh, which starts Redis, Postgres and the S3 server")
        }
        return value
    }

    static func redisEndpoint() throws -> RedisEndpoint { try RedisEndpoint(url: variable("REDIS_URL")) }

    static func postgresSettings(searchPath: String? = nil, poolSize: Int = 4) throws -> PostgresClientSettings {
        PostgresClientSettings(url: try variable("DATABASE_URL"), poolSize: poolSize, searchPath: searchPath, applicationName: "stockhub-tests")
    }

    static func s3Settings(secret: String? = nil, prefix: String) throws -> S3Settings {
        S3Settings(
            bucket: String(try variable("STORAGE_URL").dropFirst("s3://".count).split(separator: "/").first ?? ""),
            prefix: prefix,
            region: try variable("S3_REGION"),
            endpoint: try variable("S3_ENDPOINT"),
            accessKeyID: try variable("S3_ACCESS_KEY_ID"),
            secretAccessKey: try secret ?? variable("S3_SECRET_ACCESS_KEY"),
            dialect: S3Settings.Dialect(rawValue: try variable("S3_DIALECT")) ?? .aws)
    }

    /// The process environment the services need, for launching the real executables, with
    /// limits set for a loaded 2-core machine rather than for production: a dependency probe
    /// that is merely slow is not "down", and a SIGTERM'd Worker's grace is short and explicit
    /// (tests wait `Patience.generous` for the exit, far above it).
    static func environment() -> [String: String] {
        ProcessInfo.processInfo.environment.merging([
            "DEPENDENCY_CHECK_SECONDS": "60",
            "WORKER_SHUTDOWN_GRACE_SECONDS": "10",
        ]) { _, test in test }
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A free TCP port on 127.0.0.1, found by binding port 0.
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
        }
    }
    guard bound else { throw TestSetupError("cannot bind a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A unique name for test data so parallel tests and reruns never collide.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}
