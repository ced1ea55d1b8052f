import CHiredis
import Foundation

/// One hiredis connection. Every method blocks the calling thread: use it only through
/// `RedisClient`, which runs it on a dedicated thread.
public final class RedisConnection: BlockingConnection, @unchecked Sendable {
    private var context: UnsafeMutablePointer<redisContext>?
    private let commandTimeout: Duration

    /// Connects, authenticates and selects the database, each bounded by the timeouts.
    public init(endpoint: RedisEndpoint, connectTimeout: Duration, commandTimeout: Duration) throws(RedisError) {
        self.commandTimeout = commandTimeout
        guard let context = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), timeval(connectTimeout)) else {
            throw .connectionFailed(endpoint: endpoint.description, reason: "hiredis could not allocate a context")
        }
        self.context = context
        if context.pointee.err != 0 {
            let reason = Self.errorText(context)
            redisFree(context)
            self.context = nil
            throw .connectionFailed(endpoint: endpoint.description, reason: reason)
        }
        redisSetTimeout(context, timeval(commandTimeout))
        _ = redisEnableKeepAlive(context)
        do {
            if let password = endpoint.password {
                var auth: [RedisArgument] = ["AUTH"]
                if let user = endpoint.username { auth.append(RedisArgument(user)) }
                auth.append(RedisArgument(password))
                _ = try command(auth, name: "AUTH")
            }
            if endpoint.database != 0 {
                _ = try command(["SELECT", RedisArgument(endpoint.database)])
            }
        } catch {
            close()
            let reason = switch error {
            case .replyError(_, let message): message
            default: error.description
            }
            throw .connectionFailed(endpoint: endpoint.description, reason: reason)
        }
    }

    deinit { close() }

    /// Sends one command and waits for its reply. Error replies throw `RedisError.replyError`.
    /// - Parameter timeout: overrides the command timeout (for blocking commands such as XREADGROUP BLOCK).
    public func command(_ arguments: [RedisArgument], timeout: Duration? = nil, name: String? = nil) throws(RedisError) -> RedisValue {
        let label = name ?? Self.commandName(arguments)
        let reply = try pipeline([arguments], timeout: timeout, name: label)[0]
        if case .error(let message) = reply { throw .replyError(command: label, message: message) }
        return reply
    }

    /// Writes every command, then reads every reply: one round trip for the batch.
    /// Error replies come back in place as `.error` so the other replies are kept.
    public func pipeline(_ commands: [[RedisArgument]], timeout: Duration? = nil, name: String? = nil) throws(RedisError) -> [RedisValue] {
        let label = name ?? (commands.count == 1 ? Self.commandName(commands[0]) : "pipeline of \(commands.count)")
        guard let context else { throw .connectionLost(command: label, reason: "connection is closed") }
        if let timeout { redisSetTimeout(context, timeval(timeout)) }
        defer { if timeout != nil, self.context != nil { redisSetTimeout(context, timeval(commandTimeout)) } }

        for arguments in commands {
            guard append(arguments, to: context) == REDIS_OK else { throw failure(label, context, timeout) }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw failure(label, context, timeout) }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.value(of: reply))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Reads one reply the server sends without a command: pub/sub messages after SUBSCRIBE
    /// (`["message", channel, payload]`). Returns nil when nothing arrived within `timeout`, so a
    /// subscriber can wake up now and then. A subscribed connection must not go back to a pool.
    public func readPush(timeout: Duration) throws(RedisError) -> RedisValue? {
        guard let context else { throw .connectionLost(command: "subscription", reason: "connection is closed") }
        redisSetTimeout(context, timeval(timeout))
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
            let error = failure("subscription", context, timeout)
            if case .timeout = error {
                // Nothing to read is not a broken connection: hiredis flags the context after a
                // read timeout (EAGAIN), but its reader holds no partial reply; clear the flag.
                context.pointee.err = 0
                return nil
            }
            throw error
        }
        defer { freeReplyObject(raw) }
        return Self.value(of: raw.assumingMemoryBound(to: redisReply.self))
    }

    /// The socket, for a subscriber that waits for readability itself (nil once closed).
    public var fileDescriptor: Int32? { context.map { $0.pointee.fd } }

    /// Writes one command without waiting for its reply, for a subscribed connection whose
    /// replies interleave with pushed messages (read them all with `readPush`).
    public func send(_ arguments: [RedisArgument]) throws(RedisError) {
        let label = Self.commandName(arguments)
        guard let context else { throw .connectionLost(command: label, reason: "connection is closed") }
        guard append(arguments, to: context) == REDIS_OK else { throw failure(label, context, nil) }
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw failure(label, context, nil) }
        }
    }

    /// Reusable when no error is recorded and the idle socket has nothing to read: a readable
    /// idle socket means the server closed it (restart, timeout) or sent something unexpected.
    public func isReusable() -> Bool {
        guard let context, context.pointee.err == 0 else { return false }
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    public func close() {
        if let context { redisFree(context) }
        context = nil
    }

    // MARK: - hiredis plumbing

    /// Formats a binary-safe command (argv + lengths) into hiredis's output buffer.
    private func append(_ arguments: [RedisArgument], to context: UnsafeMutablePointer<redisContext>) -> Int32 {
        // One contiguous buffer keeps every argument's bytes alive and addressable for the call.
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(0) { $0 + $1.bytes.count + 1 })
        var offsets: [Int] = []
        offsets.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(joined.count)
            joined.append(contentsOf: argument.bytes)
            joined.append(0)
        }
        let lengths = arguments.map { $0.bytes.count }
        return joined.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    redisAppendCommandArgv(context, Int32(arguments.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
                }
            }
        }
    }

    private func failure(_ command: String, _ context: UnsafeMutablePointer<redisContext>, _ timeout: Duration?) -> RedisError {
        let reason = Self.errorText(context)
        let code = context.pointee.err
        // hiredis reports a socket read/write timeout as an I/O error with EAGAIN.
        if code == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || reason.contains("temporarily unavailable")) {
            return .timeout(command: command, after: timeout ?? commandTimeout)
        }
        return .connectionLost(command: command, reason: reason)
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let text = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            return text.isEmpty ? "error \(context.pointee.err)" : text
        }
    }

    private static func commandName(_ arguments: [RedisArgument]) -> String {
        arguments.first.map { String(decoding: $0.bytes, as: UTF8.self).uppercased() } ?? "(empty)"
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STATUS: return .status(String(cString: r.str))
        case REDIS_REPLY_ERROR: return .error(String(cString: r.str))
        case REDIS_REPLY_INTEGER: return .integer(Int64(r.integer))
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_STRING:
            let count = Int(r.len)
            guard count > 0, let pointer = r.str else { return .bulk([]) }
            return .bulk(Array(UnsafeRawBufferPointer(start: pointer, count: count).bindMemory(to: UInt8.self)))
        case REDIS_REPLY_ARRAY:
            let count = Int(r.elements)
            guard count > 0, let elements = r.element else { return .array([]) }
            return .array((0..<count).map { index in elements[index].map(value(of:)) ?? .null })
        default:
            return .error("unknown reply type \(r.type)")
        }
    }
}

func timeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
}
