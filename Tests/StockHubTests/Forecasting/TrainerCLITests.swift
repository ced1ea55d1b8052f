import Foundation
import Testing

/// `Trainer forecast` and `Trainer backtest`, run as the built executable on real files.
@Suite("Trainer forecast and backtest CLI")
struct TrainerCLITests {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [[String: Any]] {
            stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    static let repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let msft = repository.appendingPathComponent("data/market/MSFT.csv").path

    /// Runs Trainer with stdout and stderr kept apart (the JSONL contract is about stdout).
    static func trainer(_ arguments: [String]) async throws -> Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stockhub-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltProducts.path("Trainer"))
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        // Backtests of every model on a loaded machine take a while: the bound only turns a hang into a failure.
        let exited = try await waitUntil(.seconds(600), every: .milliseconds(20)) { !process.isRunning }
        if !exited {
            process.terminate()
            throw TestSetupError("Trainer \(arguments.joined(separator: " ")) still running after 600 s")
        }
        return Outcome(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                       stderr: try String(contentsOf: err, encoding: .utf8))
    }

    static func write(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stockhub-cli-\(UUID().uuidString).jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test(arguments: ["arima", "ets", "prophet", "ensemble"])
    func forecastOnABundledCSVPrintsOneOrderedForecast(model: String) async throws {
        let result = try await Self.trainer(["forecast", "--model", model, "--horizon", "5", Self.msft])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.lines
        try #require(lines.count == 1, "\(result.stdout)")
        let row = lines[0]
        #expect(row["id"] as? String == "MSFT" && row["model"] as? String == model)
        let mean = try #require(row["mean"] as? [Double]), lo80 = try #require(row["lo80"] as? [Double])
        let hi80 = try #require(row["hi80"] as? [Double]), lo95 = try #require(row["lo95"] as? [Double])
        let hi95 = try #require(row["hi95"] as? [Double])
        #expect(mean.count == 5)
        for h in 0..<5 { #expect(lo95[h] < lo80[h] && lo80[h] < mean[h] && mean[h] < hi80[h] && hi80[h] < hi95[h], "h=\(h + 1)") }
        // Daily prices move little in a week: a forecast far from the last close is a bug.
        let lastClose = try #require(try String(contentsOfFile: Self.msft, encoding: .utf8)
            .split(separator: "\n").last.flatMap { Double($0.split(separator: ",")[1]) })
        #expect(mean.allSatisfy { abs($0 / lastClose - 1) < 0.1 }, "\(mean) vs last close \(lastClose)")
        #expect((row["spec"] as? String)?.isEmpty == false && row["seconds"] is Double)
        if model != "ensemble" { #expect((row["spec"] as? String)?.hasSuffix("on log prices") == true) }
    }

    @Test func aBadLineIsReportedWithItsNumberAndTheRestContinue() async throws {
        let walk = (0..<120).map { 100 + sin(Double($0) / 7) + Double($0) * 0.05 }
        let good = String(decoding: try JSONSerialization.data(withJSONObject: ["id": "walk", "y": walk]), as: UTF8.self)
        let file = try Self.write([good, "{\"id\": \"broken\", \"y\": [1, 2,", "{\"id\": \"short\", \"y\": [1, 2, 3]}",
                                   "{\"id\": \"seasonal\", \"y\": \(walk), \"horizon\": 3, \"season_length\": 7}"].joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await Self.trainer(["forecast", "--model", "arima", "--horizon", "2", file])
        #expect(result.status == 1)
        let lines = result.lines
        try #require(lines.count == 4, "\(result.stdout)")
        #expect(lines[0]["id"] as? String == "walk" && (lines[0]["mean"] as? [Double])?.count == 2)
        #expect(lines[1]["line"] as? Int == 2 && (lines[1]["error"] as? String) == "not valid JSON")
        #expect(lines[2]["line"] as? Int == 3 && (lines[2]["error"] as? String)?.contains("needs at least") == true)
        #expect(lines[3]["id"] as? String == "seasonal" && (lines[3]["mean"] as? [Double])?.count == 3)
        #expect(result.stderr.contains("line 2") && result.stderr.contains("2 series failed"))
    }

    @Test func backtestScoresEveryModelAtTheSpecifiedOrigins() async throws {
        let result = try await Self.trainer(["backtest", "--horizon", "5", "--origins", "3", "--step", "7", "--window", "500", Self.msft])
        #expect(result.status == 0, "\(result.stderr)")
        let row = try #require(result.lines.first)
        let n = try #require(row["observations"] as? Int)
        #expect(row["origins"] as? [Int] == [n - 19, n - 12, n - 5])  // n − H, n − H − S, … in time order
        let models = try #require(row["models"] as? [[String: Any]])
        #expect(Set(models.compactMap { $0["model"] as? String })
                == ["naive", "drift", "arima", "ets", "prophet", "xgboost", "random_forest", "lstm", "ensemble"])
        for model in models {
            let horizons = try #require(model["horizons"] as? [[String: Any]], "\(model)")
            #expect(horizons.count == 5)
            #expect(horizons.allSatisfy { ($0["mase"] as? Double).map { $0 > 0 && $0.isFinite } == true }, "\(model)")
        }
    }

    /// A CSV whose dates skip six trading days: the learned models say so, the others answer.
    @Test func aGapInACSVsDatesIsTheLearnedModelsReasonPerLine() async throws {
        var lines = try String(contentsOfFile: Self.msft, encoding: .utf8).split(separator: "\n").map(String.init)
        let cut = lines.count - 100
        let (after, before) = (lines[cut - 1].prefix(10), lines[cut + 6].prefix(10))
        lines.removeSubrange(cut..<(cut + 6))
        let csv = try Self.write(lines.joined(separator: "\n") + "\n")
        let refused = try await Self.trainer(["forecast", "--model", "xgboost", "--horizon", "5", csv])
        #expect(refused.status == 1)
        let error = try #require(refused.lines.first?["error"] as? String, "\(refused.stdout)")
        #expect(error == "invalid series: xgboost: the closes skip 6 trading days between \(after) and \(before); its features are returns over consecutive trading days")
        let arima = try await Self.trainer(["forecast", "--model", "arima", "--horizon", "5", csv])
        #expect(arima.status == 0 && (arima.lines.first?["mean"] as? [Double])?.count == 5, "\(arima.stderr)")
        let backtest = try await Self.trainer(["backtest", "--models", "naive,lstm,drift", "--horizon", "2", "--origins", "2", "--window", "300", csv])
        #expect(backtest.status == 0, "\(backtest.stderr)")
        let models = try #require(backtest.lines.first?["models"] as? [[String: Any]])
        let lstm = try #require(models.first { $0["model"] as? String == "lstm" })
        #expect((lstm["error"] as? String)?.hasPrefix("lstm: the closes skip 6 trading days") == true, "\(lstm)")
        #expect(models.first { $0["model"] as? String == "drift" }?["horizons"] as? [[String: Any]] != nil)
    }

    @Test func unknownModelAndBadOptionsAreRefusedBeforeReading() async throws {
        let unknown = try await Self.trainer(["forecast", "--model", "oracle", "--horizon", "5", Self.msft])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown model oracle"))
        let zero = try await Self.trainer(["forecast", "--model", "naive", "--horizon", "0", Self.msft])
        #expect(zero.status != 0 && zero.stderr.contains("--horizon must be at least 1"))
        let missing = try await Self.trainer(["forecast", "--model", "naive", "--horizon", "1", "/nonexistent.csv"])
        #expect(missing.status != 0 && missing.stderr.contains("cannot open /nonexistent.csv"))
        let empty = try Self.write("")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let nothing = try await Self.trainer(["forecast", "--model", "naive", "--horizon", "1", empty])
        #expect(nothing.status == 1 && nothing.stderr.contains("no series in"))
        let typed = try Self.write(#"{"id": "t", "y": [1, 2, "x"]}"#)
        defer { try? FileManager.default.removeItem(atPath: typed) }
        let wrongType = try await Self.trainer(["forecast", "--model", "naive", "--horizon", "1", typed])
        #expect(wrongType.status == 1 && wrongType.stderr.contains(#"field "y[2]""#))
    }

    /// A line's own horizon and season length follow the options' rules: out of range is that
    /// line's failure, never a crash of the whole run (a season length of 0 used to trip a
    /// precondition in AutoETS and kill the process).
    @Test(arguments: ["forecast", "backtest"])
    func outOfRangeLineFieldsFailThatLineOnly(command: String) async throws {
        let walk = (0..<120).map { 100 + sin(Double($0) / 7) + Double($0) * 0.05 }
        func line(_ id: String, _ extra: [String: Int]) throws -> String {
            var object: [String: Any] = ["id": id, "y": walk]
            for (key, value) in extra { object[key] = value }
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let file = try Self.write([try line("season0", ["season_length": 0]), try line("horizon0", ["horizon": 0]),
                                   try line("horizonHuge", ["horizon": 1_000_000]), try line("fine", [:])].joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await Self.trainer([command, "--model" + (command == "forecast" ? "" : "s"), "ensemble", "--horizon", "2", file])
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.lines
        try #require(lines.count == 4, "\(result.stdout)")
        #expect(lines[0]["line"] as? Int == 1 && (lines[0]["error"] as? String)?.contains(#"field "season_length""#) == true)
        #expect(lines[1]["line"] as? Int == 2 && (lines[1]["error"] as? String)?.contains(#"field "horizon""#) == true)
        #expect(lines[2]["line"] as? Int == 3 && (lines[2]["error"] as? String)?.contains(#"field "horizon""#) == true)
        #expect(lines[3]["id"] as? String == "fine" && lines[3]["error"] == nil)
        #expect(result.stderr.contains("3 series failed"))
    }

    @Test func aHorizonPastTheCapAndMoreOriginsThanTheSeriesHolds() async throws {
        let long = try await Self.trainer(["forecast", "--model", "naive", "--horizon", "1001", Self.msft])
        #expect(long.status != 0 && long.stderr.contains("--horizon must be at most 1000"))
        // Only the origins that fit are used (this once allocated a billion of them first).
        let many = try await Self.trainer(["backtest", "--models", "naive", "--horizon", "5", "--origins", "1000000000", "--step", "500", Self.msft])
        #expect(many.status == 0, "\(many.stderr)")
        let row = try #require(many.lines.first)
        let n = try #require(row["observations"] as? Int)
        let origins = try #require(row["origins"] as? [Int])
        #expect(origins.last == n - 5 && origins.first.map { $0 >= 30 && $0 - 500 < 30 } == true, "\(origins)")
    }
}
