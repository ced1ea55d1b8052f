import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import WebAPI

/// How the dashboard's files are served (in process): cache rules, validators, the CSP, and
/// that nothing in `Public/` needs the CSP loosened.
@Suite("Dashboard assets")
struct DashboardAssetsTests {
    let assets = StaticAssets.load()

    @Test func thePageRevalidatesWithAnETagAndCarriesAStrictContentSecurityPolicy() async throws {
        let app = buildApplication(try await WebAPIRouteTests.liveDependencies(), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.cacheControl] == "no-cache")
            let csp = try #require(page.headers[.contentSecurityPolicy])
            #expect(csp.contains("script-src 'self'") && csp.contains("default-src 'none'") && !csp.contains("unsafe"), "\(csp)")
            let etag = try #require(page.headers[.eTag])
            let html = String(buffer: page.body)
            #expect(html.contains("/assets/app.js?v=") && html.contains("/assets/vendor/chart.min.js?v="), "asset URLs are not versioned")

            let again = try await client.execute(uri: "/", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
        }
    }

    @Test func versionedAssetsAreImmutableAndUnversionedOnesRevalidate() async throws {
        let app = buildApplication(try await WebAPIRouteTests.liveDependencies(), logger: Logger(label: "test"))
        let script = try #require(assets.files["app.js"])
        let chart = try #require(assets.files["vendor/chart.min.js"])
        try await app.test(.router) { client in
            let versioned = try await client.execute(uri: "/assets/app.js?v=\(script.version)", method: .get)
            #expect(versioned.status == .ok)
            #expect(versioned.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(versioned.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(versioned.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")

            let plain = try await client.execute(uri: "/assets/app.js", method: .get)
            #expect(plain.headers[.cacheControl] == "no-cache")
            #expect(plain.headers[.eTag] == script.etag)
            let stale = try await client.execute(uri: "/assets/app.js?v=000000000000", method: .get)
            #expect(stale.headers[.cacheControl] == "no-cache", "a version that is not the content's must not be pinned")

            let vendored = try await client.execute(uri: "/assets/vendor/chart.min.js?v=\(chart.version)", method: .get)
            #expect(vendored.status == .ok)
            #expect(String(buffer: vendored.body).hasPrefix("/*!\n * Chart.js v3.9.1"))

            for missing in ["/assets/nope.js", "/assets/..%2Fopenapi.yaml", "/assets/vendor/..%2F..%2FPackage.swift", "/assets/index.html"] {
                let answer = try await client.execute(uri: missing, method: .get)
                #expect(answer.status == .notFound, "\(missing)")
                #expect(answer.headers[.contentType] == "application/problem+json", "\(missing)")
            }
        }
    }

    /// The CSP allows no inline script or style, and server data must never become markup:
    /// these would break the page or open it to injected HTML.
    @Test func noDashboardFileNeedsInlineCodeOrWritesHTML() throws {
        let index = try #require(assets.index)
        let html = String(buffer: index.body)
        #expect(!html.contains("<style"), "inline <style> in index.html")
        #expect(!html.contains(" style="), "style attribute in index.html")
        #expect(html.components(separatedBy: "<script").dropFirst().allSatisfy { $0.contains("src=") }, "inline <script> in index.html")
        for (path, asset) in assets.files where path.hasSuffix(".js") && !path.hasPrefix("vendor/") {
            let source = String(buffer: asset.body)
            for banned in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
                #expect(!source.contains(banned), "\(path) uses \(banned)")
            }
        }
    }

    /// Every file the page or a module names is served: a typo would only show as a 404 in a browser.
    @Test func everyAssetThePageAndItsModulesNameExists() throws {
        let html = String(buffer: try #require(assets.index).body)
        var named = Set(html.matches(of: /"\/assets\/([^"?]+)\?v=/).map { String($0.1) })
        for (path, asset) in assets.files where path.hasSuffix(".js") && !path.hasPrefix("vendor/") {
            named.formUnion(String(buffer: asset.body).matches(of: /from '\.\/([a-z-]+\.js)'/).map { String($0.1) })
        }
        #expect(named.contains("app.js") && named.contains("favicon.svg"))
        #expect(named.subtracting(assets.files.keys).isEmpty, "named but missing: \(named.subtracting(assets.files.keys).sorted())")
        #expect(assets.files["vendor/chart.js.LICENSE"] != nil && assets.files["vendor/PROVENANCE.txt"] != nil)
    }
}
