import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// Limits on connections, before HTTP parsing: at most `maxConnections` open per process (one
/// more is answered 503 and closed, so a flood costs a file descriptor for a moment, not a
/// slot), and a connection whose first request head has not fully arrived within
/// `headTimeout` is closed (800 clients each sending half a request line held their sockets
/// indefinitely). Later requests on a kept-alive connection are bounded by Hummingbird's idle
/// timeout, which closes a connection that completes no request part for `IDLE_TIMEOUT_SECONDS`.
struct ConnectionLimits: Sendable {
    let maxConnections: Int
    let headTimeout: TimeAmount
    let open = OpenConnections()
}

/// The process's open connections, shared by every event loop.
final class OpenConnections: Sendable {
    private let count = Atomic<Int>(0)
    /// Counts one more; true when it is within `limit`.
    func open(within limit: Int) -> Bool { count.wrappingAdd(1, ordering: .relaxed).newValue <= limit }
    func close() { count.wrappingSubtract(1, ordering: .relaxed) }
    var current: Int { count.load(ordering: .relaxed) }
}

/// Hummingbird's HTTP/1 child channel with `ConnectionGuardHandler` first in the pipeline,
/// where it sees raw bytes (the additional handlers Hummingbird offers sit after the decoder,
/// which says nothing until a whole head has arrived).
struct GuardedHTTP1Channel: ServerChildChannel {
    let http1: HTTP1Channel
    let limits: ConnectionLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let limits = self.limits
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(limits: limits))
        }.flatMap { self.http1.setup(channel: channel, logger: logger) }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

/// One connection's guard: counts it, refuses it over the cap, and closes it when its first
/// request head is late. Runs on the connection's event loop; never blocks.
final class ConnectionGuardHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: ConnectionLimits
    private var started = false
    private var counted = false
    private var refused = false
    private var headArrived = false
    /// The previous byte ended a line (`\n`), ignoring `\r`: the next `\n` ends the head.
    private var atLineStart = false
    private var headDeadline: Scheduled<Void>?

    init(limits: ConnectionLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        counted = true
        guard limits.open.open(within: limits.maxConnections) else {
            refused = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: Self.busyResponse))).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        let channel = context.channel
        headDeadline = context.eventLoop.scheduleTask(in: limits.headTimeout) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if !headArrived {
            let bytes = unwrapInboundIn(data)
            for byte in bytes.readableBytesView where byte != UInt8(ascii: "\r") {
                if byte == UInt8(ascii: "\n") {
                    if atLineStart { headArrived = true; break }
                    atLineStart = true
                } else {
                    atLineStart = false
                }
            }
            if headArrived {
                headDeadline?.cancel()
                headDeadline = nil
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        headDeadline?.cancel()
        headDeadline = nil
        if counted {
            counted = false
            limits.open.close()
        }
        context.fireChannelInactive()
    }

    /// Written before the request is read: a complete answer a client or PaaS router can show.
    static let busyResponse = [
        "HTTP/1.1 503 Service Unavailable", "Content-Type: application/problem+json", "Retry-After: 1",
        "Connection: close", "Content-Length: \(busyBody.utf8.count)", "", busyBody,
    ].joined(separator: "\r\n")

    static let busyBody = #"{"type":"/problems/unavailable","title":"Service unavailable","status":503,"detail":"This server has as many connections open as it serves (MAX_CONNECTIONS); try again shortly."}"#
}
