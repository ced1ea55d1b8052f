import Foundation
import Hummingbird

/// The dashboard: a single-page app (`Public/index.html` at `/`, its scripts, styles and the
/// vendored Chart.js under `/assets/`), all of it read once at start (`StaticAssets`).
struct DashboardController {
    let assets: StaticAssets

    func addRoutes(to routes: RouteTable) {
        routes.get("/") { request, _ in
            guard let index = assets.index else {
                throw APIError(.serviceUnavailable, kind: "unavailable", title: "Dashboard not bundled",
                               detail: "Public/ was not deployed beside the WebAPI binary (StockHub_WebAPI.resources).")
            }
            return StaticAssetResponse.response(index, caching: .revalidate, request: request)
        }
        routes.get("/assets/:file") { request, context in try asset(PathParameter.string(context, "file"), request) }
        routes.get("/assets/vendor/:file") { request, context in try asset("vendor/" + PathParameter.string(context, "file"), request) }
    }

    private func asset(_ path: String, _ request: Request) throws -> Response {
        guard let asset = assets.files[path] else { throw APIError.notFound("No dashboard asset \(path.prefix(80)).") }
        let versioned = request.uri.queryParameters.get("v").map { String($0) } == asset.version
        return StaticAssetResponse.response(asset, caching: versioned ? .immutable : .revalidate, request: request)
    }
}
