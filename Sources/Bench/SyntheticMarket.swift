import ArgumentParser
import Forecasting
import Foundation
import Shared

/// Daily CSVs for training benchmarks: `S0001.csv`… (`date,close`), each a geometric random walk
/// over real trading days (`TradingCalendar`). Deterministic: a symbol's series depends only on
/// the seed and its number, so S0007 is the same file whatever `--count` is.
struct SyntheticMarket: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic-market",
        abstract: "Write deterministic synthetic daily closes (geometric random walks) as {SYMBOL}.csv for a MARKET_DATA_DIR.")

    @Option(help: "Symbols to write (S0001, S0002, …).") var count = 500
    @Option(help: "Closes per symbol.") var points = 750
    @Option(help: "The trading day before the first close (yyyy-MM-dd).") var after = "2022-01-03"
    @Option(help: "Seed of the generator.") var seed: UInt64 = 11
    @Option(help: "Directory to write into (created).") var directory: String

    func validate() throws {
        guard (1...99_999).contains(count) else { throw ValidationError("--count must be 1…99999") }
        guard points >= 2 else { throw ValidationError("--points must be at least 2") }
        guard TradingCalendar.isTradingDay(after) != nil else { throw ValidationError("--after must be a yyyy-MM-dd date") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let dates = TradingCalendar.days(after: after, count: points)
        let width = max(4, String(count).count)
        for number in 1...count {
            let symbol = "S" + String(repeating: "0", count: width - String(number).count) + String(number)
            var generator = SplitMix64(seed: seed ^ (UInt64(number) &* 0x9E37_79B9_7F4A_7C15))
            // Per symbol: a start price of 10–500, yearly drift of -10%…+20%, daily volatility 0.8%–3%.
            var price = 10 * exp(generator.nextUnit() * log(50.0))
            let drift = (-0.10 + 0.30 * generator.nextUnit()) / 252
            let volatility = 0.008 + 0.022 * generator.nextUnit()
            var text = "date,close\n"
            text.reserveCapacity(points * 20)
            for date in dates {
                text += date + "," + String(format: "%.4f", price) + "\n"
                // Geometric Brownian motion: log-return ~ N(μ - σ²/2, σ²).
                price *= exp(drift - volatility * volatility / 2 + volatility * generator.nextGaussian())
            }
            try text.write(to: folder.appendingPathComponent("\(symbol).csv"), atomically: true, encoding: .utf8)
        }
        print("wrote \(count) symbols × \(points) closes (\(dates.first ?? "?") … \(dates.last ?? "?")) to \(folder.path)")
    }
}
