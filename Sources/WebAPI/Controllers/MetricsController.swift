import Hummingbird
import Shared

/// `GET /metrics`: the process's counters plus the queue's gauges, read from Redis as the scrape
/// asks (one pipelined round trip, bounded by a 1 s timeout so a slow Redis cannot stall a
/// scrape; the gauges then keep their last values and `stockhub_queue_read_errors_total` rises).
struct MetricsController {
    let metrics: StockHubMetrics
    let queue: JobQueue
    let token: String?

    func addRoutes(to routes: RouteTable) {
        routes.get("/metrics") { request, _ in
            // Not a RouteAccess: operators' scrapers hold neither user tokens nor the admin key.
            guard MetricsEndpoint.admits(request, token: token) else {
                var error = APIError(.unauthorized, kind: "unauthorized", title: "Unauthorized",
                                     detail: "METRICS_TOKEN is set: send it as Authorization: Bearer <token>.")
                error.headers[.wwwAuthenticate] = "Bearer"
                throw error
            }
            metrics.record(queue: try? await queue.gauges())
            return MetricsEndpoint.response(metrics)
        }
    }
}
