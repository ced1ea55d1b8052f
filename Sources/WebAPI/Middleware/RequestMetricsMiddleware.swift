import Hummingbird
import Prometheus
import Shared
import Synchronization

/// Counts and times every request by route template, method and status class, and keeps the
/// in-flight gauge. It sits outside `RequestBoundaryMiddleware`, so the status it records is the
/// one the client got (an `APIError` has become its problem response by then).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            metrics.record(route: context.endpointPath, method: request.method, status: status, took: start.duration(to: .now))
            return response
        } catch {
            // Only errors the boundary did not turn into a response get here: Hummingbird answers 500.
            metrics.record(route: context.endpointPath, method: request.method, status: 500, took: start.duration(to: .now))
            throw error
        }
    }
}

/// The request families, with the handles for each (route, method, status class) kept here
/// after first use: a request then costs a dictionary lookup on strings it already has, not the
/// registry's label matching.
final class HTTPMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let inFlight: Gauge
    private let handles = Mutex<[Key: Handles]>([:])

    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let statusClass: Int
    }

    private struct Handles: Sendable {
        let count: Counter
        let duration: DurationHistogram
    }

    private static let requests = MetricNameDescriptor(namespace: "stockhub", metricName: "http_requests", unitName: "total",
                                                       helpText: "HTTP requests answered, by route template, method and status class.")
    private static let duration = MetricNameDescriptor(namespace: "stockhub", metricName: "http_request_duration", unitName: "seconds",
                                                       helpText: "Time to the response head, by route template, method and status class.")
    static let buckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2500), .milliseconds(5), .milliseconds(10),
                                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                      .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)]
    /// Label for requests no route matched: one series however many paths are probed.
    static let unmatched = "unmatched"
    /// Methods the API knows; any other (a client may send anything) is "other".
    static let knownMethods: Set<HTTPRequest.Method> = [.get, .post, .put, .delete, .patch, .head, .options]
    static let otherMethod = HTTPRequest.Method("OTHER")!

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        inFlight = registry.makeGauge(descriptor: .init(namespace: "stockhub", metricName: "http_requests_in_flight", unitName: "",
                                                        helpText: "HTTP requests being handled now."))
    }

    func record(route endpoint: String?, method: HTTPRequest.Method, status: Int, took: Duration) {
        // Hummingbird names the route template ("/api/jobs/{id}") or "NotFound".
        let route = endpoint.flatMap { $0 == "NotFound" ? nil : $0 } ?? Self.unmatched
        let key = Key(route: route, method: Self.knownMethods.contains(method) ? method : Self.otherMethod, statusClass: min(max(status / 100, 1), 5))
        let handles = self.handles.withLock { handles in
            if let found = handles[key] { return found }
            let labels = [("route", key.route), ("method", key.method.rawValue), ("status_class", "\(key.statusClass)xx")]
            let made = Handles(count: registry.makeCounter(descriptor: Self.requests, labels: labels),
                               duration: registry.makeDurationHistogram(descriptor: Self.duration, labels: labels, buckets: Self.buckets))
            handles[key] = made
            return made
        }
        handles.count.increment()
        handles.duration.record(took)
    }
}
