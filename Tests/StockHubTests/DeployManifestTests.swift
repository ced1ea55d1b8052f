import Foundation
@testable import Shared
import Testing

/// The PaaS manifests agree with the code: every process type exists, and app.json declares
/// exactly the variables `Settings` reads.
@Suite("Deploy manifests")
struct DeployManifestTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String { try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }
    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(path))) as? [String: Any])
    }

    /// `name: command` per line (Procfile format: a name of letters, digits, _ and -).
    static func procfile() throws -> [String: String] {
        var processes: [String: String] = [:]
        for line in try text("Procfile").split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let match = try #require(line.wholeMatch(of: /([A-Za-z0-9_-]+):[ \t]*(\S.*)/), "not a Procfile line: \(line)")
            #expect(processes[String(match.1)] == nil, "\(match.1) twice")
            processes[String(match.1)] = String(match.2)
        }
        return processes
    }

    @Test func theProcfileRunsMigrationsOnReleaseAndEveryProcessType() throws {
        let processes = try Self.procfile()
        #expect(processes == ["release": "WebAPI migrate", "web": "WebAPI", "worker": "Worker", "trainer": "Trainer schedule"])
    }

    @Test func appJSONDeclaresEveryVariableTheCodeReadsAndNoOther() throws {
        let app = try Self.json("app.json")
        #expect(app["name"] as? String == "StockHub" && (app["description"] as? String)?.isEmpty == false)
        let env = try #require(app["env"] as? [String: [String: Any]])
        let declared = Set(env.keys)
        let read = Set(Settings.variableNames)
        #expect(read.subtracting(declared).isEmpty, "read but not in app.json: \(read.subtracting(declared).sorted())")
        #expect(declared.subtracting(read).isEmpty, "in app.json but never read: \(declared.subtracting(read).sorted())")
        for (name, entry) in env {
            #expect((entry["description"] as? String)?.isEmpty == false, "\(name) has no description")
            #expect(entry["required"] is Bool, "\(name) does not say whether it is required")
        }
        #expect(env["JWT_SECRET"]?["generator"] as? String == "secret")
        let formation = try #require(app["formation"] as? [String: Any])
        #expect(Set(formation.keys) == Set(try Self.procfile().keys).subtracting(["release"]))
    }

    /// `Settings.variableNames` is the list the manifests are held to, so it must be true: every
    /// name `Settings.swift` passes to its reader is in it, and every name in it is read there.
    @Test func theVariableListMatchesTheReadsInSettings() throws {
        let source = try Self.text("Sources/Shared/Config/Settings.swift")
        let reads = Set(source.matches(of: /(?:reader\.\w+\(|reader, )"([A-Z0-9_]+)"/).map { String($0.1) })
        #expect(reads == Set(Settings.variableNames), "only read: \(reads.subtracting(Settings.variableNames).sorted()); only listed: \(Set(Settings.variableNames).subtracting(reads).sorted())")
        #expect(Set(Settings.variableNames).count == Settings.variableNames.count)
    }

    @Test func railwayServicesStartWhatTheProcfileStarts() throws {
        let processes = try Self.procfile()
        for (file, process) in [("railway.json", "web"), ("deploy/railway.worker.json", "worker"), ("deploy/railway.trainer.json", "trainer")] {
            let deploy = try #require(try Self.json(file)["deploy"] as? [String: Any], "\(file)")
            let start = try #require(deploy["startCommand"] as? String, "\(file)")
            #expect(start == ".build/release/" + (processes[process] ?? "?"), "\(file): \(start)")
        }
        let web = try #require(try Self.json("railway.json")["deploy"] as? [String: Any])
        #expect(web["preDeployCommand"] as? [String] == [".build/release/" + (processes["release"] ?? "?")])
        #expect(web["healthcheckPath"] as? String == "/health")
    }

    @Test func theSwiftVersionAndTheAptfileAreThere() throws {
        #expect(try Self.text(".swift-version").trimmingCharacters(in: .whitespacesAndNewlines).wholeMatch(of: /6\.\d+(\.\d+)?/) != nil)
        let packages = Set(try Self.text("Aptfile").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for library in ["libhiredis", "libpq", "libcurl4-openssl", "libxgboost", "libopenblas"] {
            #expect(packages.contains { $0.hasPrefix(library) }, "Aptfile lacks \(library)")
        }
    }
}
