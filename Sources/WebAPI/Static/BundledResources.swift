import Foundation

/// Where files shipped with the WebAPI binary are. SwiftPM copies resources into
/// `StockHub_WebAPI.resources` beside the executable; a checkout also has the sources.
/// Bundle.module is not used: it traps when the bundle is missing.
enum BundledResources {
    static func candidates(_ relativePath: String) -> [URL] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return [
            executable.appendingPathComponent("StockHub_WebAPI.resources/\(relativePath)"),
            URL(fileURLWithPath: "Sources/WebAPI/\(relativePath)"),
            sources.appendingPathComponent(relativePath),
        ]
    }
}
