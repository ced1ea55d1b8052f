import Foundation
import Shared
import Testing

@Suite("Redis client against a real server")
struct RedisClientTests {
    let client: RedisClient
    let prefix = uniqueName("test:redis")

    init() throws {
        client = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 4))
    }

    @Test func everyReplyTypeRoundTrips() async throws {
        // status
        #expect(try await client.command("SET", RedisArgument("\(prefix):s"), "hello") == .status("OK"))
        // bulk, binary-safe: NUL, CR/LF and non-UTF-8 bytes survive
        let binary: [UInt8] = [0, 13, 10, 255, 0x7f, 65]
        try await client.command("SET", RedisArgument("\(prefix):b"), RedisArgument(bytes: binary))
        #expect(try await client.command("GET", RedisArgument("\(prefix):b")) == .bulk(binary))
        // integer
        #expect(try await client.command("INCRBY", RedisArgument("\(prefix):n"), 41) == .integer(41))
        #expect(try await client.command("INCR", RedisArgument("\(prefix):n")).int == 42)
        // nil
        #expect(try await client.command("GET", RedisArgument("\(prefix):missing")) == .null)
        // array, including a nil element
        try await client.command("RPUSH", RedisArgument("\(prefix):l"), "a", "b")
        #expect(try await client.command("LRANGE", RedisArgument("\(prefix):l"), 0, -1) == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
        #expect(try await client.command("MGET", RedisArgument("\(prefix):s"), RedisArgument("\(prefix):missing")) == .array([.bulk(Array("hello".utf8)), .null]))
        // empty bulk string is not nil
        try await client.command("SET", RedisArgument("\(prefix):e"), "")
        #expect(try await client.command("GET", RedisArgument("\(prefix):e")) == .bulk([]))
        // error: thrown for a single command…
        await #expect(throws: RedisError.replyError(command: "INCR", message: "WRONGTYPE Operation against a key holding the wrong kind of value")) {
            try await client.command("INCR", RedisArgument("\(prefix):l"))
        }
        // …and returned in place inside a pipeline
        let replies = try await client.pipeline([["NOSUCHCOMMAND"], ["PING"]])
        guard case .error(let message) = replies[0] else { Issue.record("expected an error reply, got \(replies[0])"); return }
        #expect(message.hasPrefix("ERR unknown command"))
        #expect(replies[1] == .status("PONG"))
    }

    @Test func pipelineSendsManyCommandsAndKeepsOrder() async throws {
        let commands: [[RedisArgument]] = (0..<500).map { ["RPUSH", RedisArgument("\(prefix):p"), RedisArgument($0)] }
        let replies = try await client.pipeline(commands + [["LRANGE", RedisArgument("\(prefix):p"), 0, -1]])
        #expect(replies.count == 501)
        #expect(replies[0] == .integer(1))
        #expect(replies[499] == .integer(500))
        #expect(replies[500].array?.compactMap(\.int) == Array(0..<500))
    }

    @Test func poolIsBoundedUnderConcurrency() async throws {
        // 200 callers queue for 4 connections: on a loaded machine a caller may wait longer than
        // the default 5 s acquire timeout, which is not what this test is about.
        let client = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 4,
                                                               acquireTimeout: Patience.generous))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask { try await client.command("INCR", RedisArgument("\(prefix):c\(index % 7)")) }
            }
            try await group.waitForAll()
        }
        #expect(client.openConnections <= 4)
        let total = try await client.pipeline((0..<7).map { ["GET", RedisArgument("\(prefix):c\($0)")] }).compactMap(\.int).reduce(0, +)
        #expect(total == 200)
    }

    @Test func passwordAndDatabaseFromTheURLAreUsed() async throws {
        var endpoint = try TestServices.redisEndpoint()
        endpoint.database = 3
        let db3 = RedisClient(settings: RedisClientSettings(endpoint: endpoint, poolSize: 1))
        try await db3.command("SET", RedisArgument("\(prefix):db"), "three")
        #expect(try await client.command("GET", RedisArgument("\(prefix):db")) == .null)
        #expect(try await db3.command("GET", RedisArgument("\(prefix):db")).string == "three")

        endpoint.password = "wrong-password"
        let wrong = RedisClient(settings: RedisClientSettings(endpoint: endpoint, poolSize: 1))
        await #expect {
            try await wrong.ping()
        } throws: { error in
            guard case RedisError.connectionFailed(_, let reason) = error else { return false }
            return reason.contains("WRONGPASS") || reason.contains("invalid") || reason.contains("NOAUTH")
        }
    }

    @Test func slowCommandTimesOutWithATypedError() async throws {
        let fast = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 1,
                                                             commandTimeout: .milliseconds(300)))
        // BLPOP on an empty list blocks server-side for 5 s: getting the typed timeout (rather than
        // the nil reply 5 s later) shows the client gave up at its own deadline.
        await #expect(throws: RedisError.timeout(command: "BLPOP", after: .milliseconds(300))) {
            try await fast.command("BLPOP", RedisArgument("\(prefix):never"), 5)
        }
        // The timed-out connection is discarded, and the next command works on a fresh one.
        try await fast.ping()
        // A per-command timeout lets a blocking read wait longer than the default.
        #expect(try await fast.command("BLPOP", RedisArgument("\(prefix):never"), 1, timeout: .seconds(3)) == .null)
    }

    @Test func exhaustedPoolFailsTheWaiterAfterTheAcquireTimeout() async throws {
        let tiny = RedisClient(settings: RedisClientSettings(endpoint: try TestServices.redisEndpoint(), poolSize: 1,
                                                             acquireTimeout: .milliseconds(200)))
        // The only connection is busy in a blocking read that only the test ends (no clock
        // decides the order). It is named first, so the test can see the server holding it in
        // BLPOP (a fixed sleep raced under parallel load)…
        let name = "pooltest-\(UUID().uuidString.prefix(8))"
        let list = "\(prefix):unblock"
        _ = try await tiny.command("CLIENT", "SETNAME", RedisArgument(name))
        async let busy = tiny.command("BLPOP", RedisArgument(list), 300, timeout: .seconds(310))
        try await waitFor("the server to show \(name) blocked in BLPOP", every: .milliseconds(10)) { try await isBlocked(clientNamed: name) }
        // …so a second caller gives up after the acquire timeout instead of queueing forever.
        await #expect(throws: PoolError.self) { try await tiny.command("PING") }
        _ = try await client.command("RPUSH", RedisArgument(list), "done")
        #expect(try await busy == .array([.bulk(Array(list.utf8)), .bulk(Array("done".utf8))]))
        try await tiny.ping()  // and the pool works again once the connection is back
    }

    /// Whether the connection named `name` is in a BLPOP on the server (CLIENT LIST).
    private func isBlocked(clientNamed name: String) async throws -> Bool {
        guard case .bulk(let list) = try await client.command("CLIENT", "LIST") else { return false }
        return String(decoding: list, as: UTF8.self).split(whereSeparator: \.isNewline)
            .contains { $0.contains(" name=\(name) ") && $0.contains(" cmd=blpop") }
    }

    @Test func aStoppedServerGivesATypedConnectionErrorAndThePoolRecoversAfterARestart() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let endpoint = try RedisEndpoint(url: server.url)
        let client = RedisClient(settings: RedisClientSettings(endpoint: endpoint, poolSize: 3,
                                                               connectTimeout: .seconds(1), commandTimeout: .seconds(1)))
        // Fill the pool with live connections.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { try await client.command("SET", "k", "before") } }
            try await group.waitForAll()
        }
        await server.kill()

        await #expect {
            try await client.command("GET", "k")
        } throws: { error in
            switch error as? RedisError {
            case .connectionFailed, .connectionLost: true
            default: false
            }
        }

        try await server.start()
        // appendonly: the write made before the crash is still there, and pooled connections
        // that died with the old server are replaced without the caller seeing an error.
        for _ in 0..<6 { #expect(try await client.command("GET", "k").string == "before") }
        await client.shutdown()
        await server.kill()
    }

    @Test func endpointURLsParse() throws {
        let full = try RedisEndpoint(url: "redis://:s3cret@cache.internal:6380/2")
        #expect(full == RedisEndpoint(host: "cache.internal", port: 6380, password: "s3cret", database: 2))
        let user = try RedisEndpoint(url: "redis://app:p%40ss@h")
        #expect(user.username == "app" && user.password == "p@ss" && user.port == 6379 && user.database == 0)
        #expect(throws: EndpointParseError.self) { try RedisEndpoint(url: "localhost") }
        #expect(throws: EndpointParseError.self) { try RedisEndpoint(url: "redis://h:6379/x") }
        #expect(throws: EndpointParseError.self) { try RedisEndpoint(url: "rediss://h:6379") }
        #expect(throws: EndpointParseError.self) { try RedisEndpoint(url: "http://h:6379") }
    }
}
