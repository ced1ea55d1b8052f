import Foundation

/// A real process the tests start (a StockHub executable or a redis-server), with its output
/// captured to a file so a failing test can show it.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let outputFile: URL

    init(_ executable: String, _ arguments: [String] = [], environment: [String: String]) throws {
        outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("stockhub-test-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outputFile)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit without blocking the cooperative pool; nil if it outlived `limit`.
    func waitForExit(limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Runs to completion and returns (exit code, output).
    static func run(_ executable: String, _ arguments: [String] = [], environment: [String: String], limit: Duration = .seconds(30)) async throws -> (Int32, String) {
        let child = try ChildProcess(executable, arguments, environment: environment)
        guard let status = await child.waitForExit(limit: limit) else {
            child.signal(SIGKILL)
            throw TestSetupError("\(executable) did not exit within \(limit); output:\n\(child.output)")
        }
        return (status, child.output)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outputFile)
    }
}

/// Where the built executables are: beside the test bundle in SwiftPM's build folder.
enum BuiltProducts {
    static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["STOCKHUB_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        // …/debug/StockHubPackageTests.xctest is the test binary on Linux.
        return me.deletingLastPathComponent()
    }

    static func path(_ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw TestSetupError("\(url.path) is not built: run `swift build` first (scripts/test.sh does)")
        }
        return url.path
    }
}
