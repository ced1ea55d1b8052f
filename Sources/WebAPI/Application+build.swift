import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import ServiceLifecycle
import Shared

/// Everything the routes need, built once at start and passed in (no globals).
struct AppDependencies: Sendable {
    let settings: Settings
    let clients: SystemClients
    let users: UserRepository
    let hasher: PasswordHasher
    let tokens: AccessTokens
    let revocations: TokenRevocations
    /// Keeps `revocations` answering from memory; runs as one of the application's services.
    let revocationWatcher: RevocationWatcher
    let queue: JobQueue
    let jobEvents: JobEventHub
    /// This process's metrics, served at `/metrics`; one per application, so tests running many
    /// apps in one process each read their own.
    let metrics: StockHubMetrics
    /// How long a web process serves a forecast document from memory before reading Redis
    /// again (tests shorten it). Documents are immutable per (symbol, model version) for their
    /// 60 minutes in Redis, so this bounds only how late a replaced document is seen.
    var localPredictionTTL: Duration = .seconds(2)

    /// - Parameter jwtSecret: the signing secret; when `settings.jwtSecret` is nil (development
    ///   only: production refuses to start without one) a random per-process secret is used.
    static func make(settings: Settings, clients: SystemClients, logger: Logger) async -> AppDependencies {
        let secret: String
        if let configured = settings.jwtSecret {
            secret = configured
        } else {
            secret = (0..<4).map { _ in UUID().uuidString }.joined()
            logger.warning("JWT_SECRET is not set: using a random per-process secret; tokens die with this process and no other process accepts them")
        }
        let watcher = RevocationWatcher(endpoint: settings.redis, keys: settings.redisKeys, logger: logger)
        let metrics = StockHubMetrics(jobTypes: [PredictRequest.jobType, TrainRequest.jobType, UploadedSeries.jobType])
        return AppDependencies(
            settings: settings, clients: clients,
            users: UserRepository(db: clients.postgres),
            hasher: PasswordHasher(cost: settings.bcryptCost),
            tokens: await AccessTokens(secret: secret, previousSecrets: settings.jwtPreviousSecrets, issuer: settings.jwtIssuer, lifetime: TimeInterval(settings.accessTokenExpireMinutes * 60)),
            revocations: TokenRevocations(redis: clients.redis, keys: settings.redisKeys, watcher: watcher),
            revocationWatcher: watcher,
            queue: JobQueue(redis: clients.redis, keys: settings.redisKeys.queue,
                            settings: JobQueueSettings(maxAttempts: settings.jobMaxAttempts,
                                                       visibilityTimeout: .seconds(settings.jobVisibilityTimeoutSeconds)),
                            metrics: metrics),
            jobEvents: JobEventHub(endpoint: settings.redis, keys: settings.redisKeys.queue, logger: logger),
            metrics: metrics)
    }
}

/// The one construction path for production and tests.
func buildApplication(_ dependencies: AppDependencies, logger: Logger, extraServices: [any Service] = []) -> some ApplicationProtocol {
    let (router, _) = buildRouter(dependencies)
    let settings = dependencies.settings
    let limits = ConnectionLimits(maxConnections: settings.maxConnections, headTimeout: .seconds(Int64(settings.requestHeadTimeoutSeconds)))
    let idleTimeout = TimeAmount.seconds(Int64(settings.idleTimeoutSeconds))
    return Application(
        router: router,
        server: HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http1: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout)), limits: limits)
        },
        configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "StockHub"),
        services: [dependencies.jobEvents, dependencies.revocationWatcher] + extraServices,
        onServerRunning: { channel in
            logger.info("WebAPI listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: logger)
}

/// The router and the list of routes it serves (for the OpenAPI contract test).
func buildRouter(_ dependencies: AppDependencies) -> (Router<AppRequestContext>, [RouteTable.Entry]) {
    let settings = dependencies.settings
    let router = Router(context: AppRequestContext.self)
    // Outermost, so it records the status the client got (errors are responses by then) and
    // answered preflights count too.
    router.add(middleware: RequestMetricsMiddleware(metrics: HTTPMetrics(registry: dependencies.metrics.registry)))
    // Outside the boundary, so error answers (made by the boundary) and preflights carry these headers too.
    router.add(middleware: SecurityHeadersMiddleware(strictTransportSecurity: settings.isProduction))
    router.add(middleware: CORSPolicyMiddleware(origins: settings.corsOrigins))
    router.add(middleware: RequestBoundaryMiddleware())
    router.add(middleware: BodyLimitMiddleware(maxBodyBytes: settings.maxBodyBytes))
    let routes = RouteTable(router: router, authenticator: RequestAuthenticator(
        tokens: dependencies.tokens, revocations: dependencies.revocations, users: dependencies.users, adminAPIKey: settings.adminAPIKey))

    SystemController(clients: dependencies.clients, settings: settings, startedAt: .now, openAPI: .load()).addRoutes(to: routes)
    DashboardController(assets: .bundled).addRoutes(to: routes)
    AuthController(
        settings: settings, users: dependencies.users, hasher: dependencies.hasher, tokens: dependencies.tokens,
        revocations: dependencies.revocations,
        loginFailures: AttemptThrottle(redis: dependencies.clients.redis, limit: settings.loginMaxFailures, windowSeconds: settings.loginWindowSeconds),
        registrations: AttemptThrottle(redis: dependencies.clients.redis, limit: settings.registrationsPerHour, windowSeconds: 3600)
    ).addRoutes(to: routes)
    let quota = JobQuotaCheck(quota: JobQuota(limits: settings.jobQuota, redis: dependencies.clients.redis, keys: settings.redisKeys))
    JobsController(queue: dependencies.queue, events: dependencies.jobEvents).addRoutes(to: routes)
    PredictionsController(queue: dependencies.queue,
                          cache: PredictionCache(redis: dependencies.clients.redis, keys: settings.redisKeys, modelVersion: settings.modelVersion),
                          settings: settings, localTTL: dependencies.localPredictionTTL, quota: quota, metrics: dependencies.metrics).addRoutes(to: routes)
    ForecastsController(queue: dependencies.queue, settings: settings, quota: quota).addRoutes(to: routes)
    let runs = TrainingRuns(queue: dependencies.queue, keys: settings.redisKeys, modelVersion: settings.modelVersion)
    AdminController(users: dependencies.users, queue: dependencies.queue, runs: runs, settings: settings).addRoutes(to: routes)
    MetricsController(metrics: dependencies.metrics, queue: dependencies.queue, token: settings.metricsToken).addRoutes(to: routes)
    ModelsController(store: ModelStore(storage: dependencies.clients.storage, modelVersion: settings.modelVersion),
                     runs: runs, schedule: settings.trainSchedule).addRoutes(to: routes)
    let clients = dependencies.clients
    MarketDataController(cache: MarketDataCache(chain: .configured(settings, redis: clients.redis, http: clients.http, postgres: clients.postgres,
                                                                   metrics: dependencies.metrics),
                                                 redis: clients.redis, keys: settings.redisKeys, metrics: dependencies.metrics)).addRoutes(to: routes)
    return (router, routes.entries)
}
