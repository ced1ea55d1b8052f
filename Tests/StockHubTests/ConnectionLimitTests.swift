import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Shared
import Testing
@testable import WebAPI

/// Slow, idle and surplus connections are closed, through real sockets. Waits are generous and
/// nothing asserts how fast a close came, only that it came.
@Suite("Connection limits")
struct ConnectionLimitTests {
    static func app(_ overrides: [String: String]) async throws -> some ApplicationProtocol {
        buildApplication(try await WebAPIRouteTests.liveDependencies(overrides), logger: Logger(label: "test"))
    }

    @Test func aClientThatSendsHalfARequestLineIsDisconnected() async throws {
        try await Self.app(["REQUEST_HEAD_TIMEOUT_SECONDS": "1", "IDLE_TIMEOUT_SECONDS": "3600"]).test(.live) { client in
            let port = try #require(client.port)
            let slow = try RawConnection(port: port)
            slow.send("GET /hea")
            let closed = try await slow.readUntilClosed()
            #expect(closed != nil, "a half request line kept its connection open past the generous wait")
            // A whole request on a new connection is still served. (Not through the test's own
            // client: on a loaded machine its idle connection may itself outlast the 1 s head timeout.)
            let whole = try RawConnection(port: port)
            whole.send("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(try await whole.readUntilClosed()?.hasPrefix("HTTP/1.1 200") == true)
        }
    }

    @Test func aKeptAliveConnectionIsClosedWhenIdleAndAnswersBeforeThat() async throws {
        try await Self.app(["IDLE_TIMEOUT_SECONDS": "1"]).test(.live) { client in
            let port = try #require(client.port)
            let idle = try RawConnection(port: port)
            idle.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let received = try await idle.readUntilClosed()
            let text = try #require(received, "an idle keep-alive connection stayed open past the generous wait")
            #expect(text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func connectionsOverTheCapAreAnswered503AndClosedWhileHealthStillAnswersLater() async throws {
        try await Self.app(["MAX_CONNECTIONS": "2", "REQUEST_HEAD_TIMEOUT_SECONDS": "300", "IDLE_TIMEOUT_SECONDS": "3600"]).test(.live) { client in
            let port = try #require(client.port)
            // Kept-alive connections, each sent a request, until one is refused: at most two are
            // served (the test's own client may hold a slot too), and the surplus gets a 503 and a close.
            var held: [RawConnection] = []
            var refusal: String?
            for _ in 0..<3 where refusal == nil {
                let connection = try RawConnection(port: port)
                connection.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                let answer = try #require(try await connection.readSome(), "a connection got no answer at all")
                if answer.hasPrefix("HTTP/1.1 200") {
                    held.append(connection)
                } else {
                    refusal = try await connection.readUntilClosed().map { answer + $0 }
                    #expect(refusal != nil, "a connection over the cap stayed open")
                }
            }
            #expect(held.count <= 2, "\(held.count) connections served under a cap of 2")
            let answer = try #require(refusal, "no connection was refused under a cap of 2")
            #expect(answer.hasPrefix("HTTP/1.1 503"))
            #expect(answer.contains("Retry-After: 1"))
            // Freed slots are served again.
            held.removeAll()
            try await waitFor("/health answering once the held connections are gone") {
                let fresh = try RawConnection(port: port)
                fresh.send("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                return try await fresh.readUntilClosed()?.hasPrefix("HTTP/1.1 200") == true
            }
        }
    }

    @Test func connectionSettingsAreCheckedAtStart() {
        for (name, bad) in [("REQUEST_HEAD_TIMEOUT_SECONDS", "0"), ("IDLE_TIMEOUT_SECONDS", "soon"), ("MAX_CONNECTIONS", "-1")] {
            do {
                _ = try Settings(environment: [name: bad])
                Issue.record("\(name)=\(bad) was accepted")
            } catch {
                #expect(error.variable == name)
            }
        }
        #expect(throws: ConfigError.self) { try Settings(environment: ["APP_ENV": "production", "JWT_SECRET": AuthTests.secret,
                                                                       "JWT_PREVIOUS_SECRETS": "short", "REDIS_URL": "redis://r:6379", "DATABASE_URL": "postgres://u@h/d"]) }
    }
}
