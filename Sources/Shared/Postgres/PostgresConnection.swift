import CLibPQ
import Foundation

/// One libpq connection. Every method blocks the calling thread: use it only through
/// `PostgresClient`, which runs it on a dedicated thread.
///
/// SQL text is a `StaticString`: statements are written in the source and values always travel
/// as `$n` parameters, so no SQL is ever built from strings at run time.
public final class PostgresConnection: BlockingConnection, @unchecked Sendable {
    private var connection: OpaquePointer?
    private let statementTimeout: Duration
    private let endpoint: String

    public init(settings: PostgresClientSettings) throws(PostgresError) {
        self.statementTimeout = settings.statementTimeout
        self.endpoint = settings.endpointDescription
        // connect_timeout bounds the TCP connect and start-up; libpq's minimum is 2 s.
        let connectSeconds = max(2, Int(settings.connectTimeout.components.seconds))
        // UTC so timestamps decode without zone arithmetic; notices (e.g. "relation already
        // exists, skipping") would otherwise be printed to stderr by libpq's default handler.
        var options = "-c TimeZone=UTC -c client_min_messages=warning"
        if let searchPath = settings.searchPath { options += " -c search_path=\(searchPath)" }
        let parameters: [(String, String)] = [
            ("dbname", settings.url),
            ("connect_timeout", String(connectSeconds)),
            ("application_name", settings.applicationName),
            ("options", options),
            // Detect a vanished server on an idle or busy socket instead of waiting for TCP's defaults.
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
        ]
        let connection = withCStringArray(parameters.map(\.0)) { keywords in
            withCStringArray(parameters.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        self.connection = connection
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let reason = connection.map { Self.message(PQerrorMessage($0)) } ?? "libpq could not allocate a connection"
            close()
            throw .connectionFailed(endpoint: settings.endpointDescription, reason: reason)
        }
    }

    deinit { close() }

    /// Runs one parameterized statement and returns its rows.
    @discardableResult
    public func query(_ sql: StaticString, _ parameters: [any PostgresEncodable] = [], timeout: Duration? = nil) throws(PostgresError) -> PostgresResult {
        let text = sql.description
        var encoded: [PostgresParameter] = []
        for (index, parameter) in parameters.enumerated() {
            do {
                encoded.append(try parameter.postgresParameter())
            } catch {
                if case .invalidParameter(_, let reason) = error { throw .invalidParameter(index: index + 1, reason: reason) }
                throw error
            }
        }
        return try run(text, encoded, timeout: timeout ?? statementTimeout)
    }

    /// Runs a fixed multi-statement script without parameters (migrations, BEGIN/COMMIT).
    public func executeScript(_ sql: StaticString, timeout: Duration? = nil) throws(PostgresError) {
        _ = try run(sql.description, nil, timeout: timeout ?? statementTimeout)
    }

    /// Runs `body` inside BEGIN/COMMIT; any error rolls back and is rethrown.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try executeScript("BEGIN")
        do {
            let result = try body(self)
            try executeScript("COMMIT")
            return result
        } catch {
            if isReusable() { try? executeScript("ROLLBACK") }
            throw error
        }
    }

    public func isReusable() -> Bool {
        guard let connection, PQstatus(connection) == CONNECTION_OK,
              PQtransactionStatus(connection) == PQTRANS_IDLE else { return false }
        // A readable idle socket means the server closed it or sent a notice: let libpq read it,
        // after which the status tells whether the connection survived.
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) > 0 {
            guard PQconsumeInput(connection) == 1 else { return false }
            return PQstatus(connection) == CONNECTION_OK
        }
        return true
    }

    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    // MARK: - libpq plumbing

    /// Sends the statement, then waits on the socket with a deadline so a stuck server or a
    /// long statement cannot hold the thread past `timeout`; on expiry the query is cancelled.
    private func run(_ sql: String, _ parameters: [PostgresParameter]?, timeout: Duration) throws(PostgresError) -> PostgresResult {
        let label = Self.label(sql)
        guard let connection else { throw .connectionLost(statement: label, reason: "connection is closed") }
        let sent: Int32
        if let parameters {
            sent = send(sql, parameters, on: connection)
        } else {
            sent = PQsendQuery(connection, sql)
        }
        guard sent == 1 else {
            let reason = Self.message(PQerrorMessage(connection))
            close()
            throw .connectionLost(statement: label, reason: reason)
        }

        let deadline = ContinuousClock.now + timeout
        var last: PostgresResult?
        var failure: PostgresError?
        while true {
            while PQisBusy(connection) == 1 {
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else {
                    cancel(connection)
                    throw .timeout(statement: label, after: timeout)
                }
                var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(clamping: max(1, Int(remaining.milliseconds)))
                let ready = poll(&descriptor, 1, milliseconds)
                if ready < 0 && errno != EINTR {
                    let reason = String(cString: strerror(errno))
                    close()
                    throw .connectionLost(statement: label, reason: reason)
                }
                if ready > 0 && PQconsumeInput(connection) == 0 {
                    let reason = Self.message(PQerrorMessage(connection))
                    close()
                    throw .connectionLost(statement: label, reason: reason)
                }
            }
            guard let result = PQgetResult(connection) else { break }
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                last = Self.decode(result)
            default:
                if failure == nil { failure = Self.serverError(result, connection: connection, statement: label) }
            }
        }
        if PQstatus(connection) != CONNECTION_OK {
            let reason = Self.message(PQerrorMessage(connection))
            close()
            throw failure ?? .connectionLost(statement: label, reason: reason)
        }
        if let failure { throw failure }
        return last ?? PostgresResult(rows: [], affectedRows: 0)
    }

    private func send(_ sql: String, _ parameters: [PostgresParameter], on connection: OpaquePointer) -> Int32 {
        // Parameter bytes are copied into one NUL-separated buffer that outlives the call.
        var storage: [UInt8] = []
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .null:
                offsets.append(nil); lengths.append(0); formats.append(0)
            case .text(let text):
                offsets.append(storage.count); storage.append(contentsOf: text.utf8); storage.append(0)
                lengths.append(0); formats.append(0)
            case .binary(let bytes):
                offsets.append(storage.count); storage.append(contentsOf: bytes); storage.append(0)
                lengths.append(Int32(bytes.count)); formats.append(1)
            }
        }
        if storage.isEmpty { storage.append(0) }
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0.map { base + $0 } }
            return PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values, lengths, formats, 0)
        }
    }

    /// Asks the server to stop the statement, then drops the connection: its protocol state
    /// after a cancelled, half-read result is not worth trusting.
    private func cancel(_ connection: OpaquePointer) {
        if let handle = PQgetCancel(connection) {
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(handle, &buffer, Int32(buffer.count))
            PQfreeCancel(handle)
        }
        close()
    }

    private static func decode(_ result: OpaquePointer) -> PostgresResult {
        let rowCount = Int(PQntuples(result))
        let fieldCount = Int(PQnfields(result))
        let columns = (0..<fieldCount).map { String(cString: PQfname(result, Int32($0))) }
        let types = (0..<fieldCount).map { UInt32(PQftype(result, Int32($0))) }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var cells: [PostgresCell] = []
            cells.reserveCapacity(fieldCount)
            for field in 0..<fieldCount {
                if PQgetisnull(result, Int32(row), Int32(field)) == 1 {
                    cells.append(PostgresCell(typeOID: types[field], bytes: nil))
                } else {
                    let length = Int(PQgetlength(result, Int32(row), Int32(field)))
                    let pointer = UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(field))!)
                    cells.append(PostgresCell(typeOID: types[field], bytes: Array(UnsafeRawBufferPointer(start: pointer, count: length))))
                }
            }
            rows.append(PostgresRow(columns: columns, cells: cells))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(rows: rows, affectedRows: affected)
    }

    private static func serverError(_ result: OpaquePointer, connection: OpaquePointer, statement: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let message = field("M") ?? message(PQresultErrorMessage(result))
        return .server(sqlState: field("C") ?? "?????", message: message, detail: field("D"), statement: statement)
    }

    private static func message(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "unknown error" }
        // libpq's messages span lines and tabs; errors here end up on one log line.
        return String(cString: pointer).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The statement's first words, for errors and logs (never parameter values).
    private static func label(_ sql: String) -> String {
        let words = sql.split(whereSeparator: \.isWhitespace).prefix(4).joined(separator: " ")
        return words.count > 60 ? String(words.prefix(60)) + "…" : words
    }
}

private func withCStringArray<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicates.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
