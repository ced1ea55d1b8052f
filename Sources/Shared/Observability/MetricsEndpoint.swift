import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `GET /metrics` in every process: the web API serves it on `PORT` (its own route), Worker and
/// Trainer on `METRICS_PORT` through `server(...)`. With `METRICS_TOKEN` set only a matching
/// `Authorization: Bearer` header may read it.
public enum MetricsEndpoint {
    /// The Prometheus text exposition format's media type.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Whether the request may read the metrics. The comparison takes the same time wherever
    /// the first difference is, so the token cannot be guessed byte by byte.
    public static func admits(_ request: Request, token: String?) -> Bool {
        guard let token else { return true }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.utf8.dropFirst(7)), expected = Array(token.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public static func response(_ metrics: StockHubMetrics) -> Response {
        Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }

    /// A tiny HTTP server with `/metrics` alone, on `METRICS_PORT` at `HOST` (nil when the port is
    /// not set). A service, so it stops with the process's others on SIGTERM.
    public static func server(settings: Settings, metrics: StockHubMetrics, logger: Logger) -> (any Service)? {
        guard let port = settings.metricsPort else { return nil }
        let router = Router()
        let token = settings.metricsToken
        router.get("/metrics") { request, _ -> Response in
            guard admits(request, token: token) else {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
            return response(metrics)
        }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: port), serverName: "StockHub-metrics"),
            onServerRunning: { channel in
                logger.info("metrics served", metadata: ["address": "\(channel.localAddress?.description ?? "?")", "path": "/metrics"])
            },
            logger: logger)
    }
}
