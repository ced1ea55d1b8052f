import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Shared

typealias AppRequestContext = BasicRequestContext

/// Everything the routes need, built once at start and passed in (no globals).
struct AppDependencies: Sendable {
    let settings: Settings
    let clients: SystemClients
}

/// The one construction path for production and tests.
func buildApplication(_ dependencies: AppDependencies, logger: Logger, extraServices: [any Service] = []) -> some ApplicationProtocol {
    let (router, _) = buildRouter(dependencies)
    let settings = dependencies.settings
    return Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "StockHub"),
        services: extraServices,
        onServerRunning: { channel in
            logger.info("WebAPI listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: logger)
}

/// The router and the list of routes it serves (for the OpenAPI contract test).
func buildRouter(_ dependencies: AppDependencies) -> (Router<AppRequestContext>, [RouteTable<AppRequestContext>.Entry]) {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestBoundaryMiddleware())
    let routes = RouteTable(router: router)
    SystemController(clients: dependencies.clients, settings: dependencies.settings,
                     startedAt: .now, openAPI: .load()).addRoutes(to: routes)
    return (router, routes.entries)
}
