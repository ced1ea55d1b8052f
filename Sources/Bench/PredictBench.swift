import ArgumentParser
import Foundation
import Shared

/// The predict job's computation: the forecast document (every model, the ensemble and the
/// rolling-origin backtest behind `accuracy`) for the bundled symbols, in process, timed per
/// document, with the peak resident memory of this process.
struct PredictBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "Forecast documents per second and latency, in process.")
    @Option(help: "Directory of daily CSVs.") var marketData = "data/market"
    @Option(help: "Comma-separated symbols.") var symbols = "MSFT,SPX,IXIC"
    @Option(help: "Documents per symbol.") var rounds = 10

    func run() async throws {
        let source = FileMarketData(directory: marketData)
        var series: [DailySeries] = []
        for symbol in symbols.split(separator: ",") { series.append(try await source.daily(String(symbol))) }
        _ = try ForecastDocument.make(series: series[0], modelVersion: "bench")  // warm-up (lazy statics, page faults)
        var latencies: [Double] = []
        var models: [String] = []
        let start = ContinuousClock.now
        for _ in 0..<rounds {
            for s in series {
                let began = ContinuousClock.now
                let document = try ForecastDocument.make(series: s, modelVersion: "bench")
                latencies.append(seconds(began.duration(to: .now)))
                models = document.models.map(\.name)
            }
        }
        let wall = seconds(start.duration(to: .now))
        let points = ForecastDocument.fitWindow
        print("forecast document (\(models.joined(separator: ", ")); backtest \(ForecastDocument.backtestPlan.origins) origins, fit window \(points))")
        report("predict, \(series.count) symbols × \(rounds)", count: latencies.count, seconds: wall, latencies: latencies, per: "document")
        print("peak RSS: \(peakResidentMegabytes()) MiB")
    }
}

/// VmHWM of this process from /proc (Linux), in MiB.
func peakResidentMegabytes() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return "unknown" }
    return String(format: "%.1f", kilobytes / 1024)
}
