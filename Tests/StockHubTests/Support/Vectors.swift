import Foundation

/// Reads a committed reference-vector file, `Tests/Vectors/<path>`.
func referenceVectors<T: Decodable>(_ path: String, as type: T.Type = T.self) throws -> T {
    // In a scratch package a test file may be a symlink; resolve it before walking up.
    let file = #filePath
    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: file)) ?? file
    let tests = URL(fileURLWithPath: target).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: tests.appendingPathComponent("Vectors/\(path)")))
}
