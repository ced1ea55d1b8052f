import Foundation

/// What the tree models see at a forecast origin t, computed from closes 0…t only (never a later
/// one: the no-look-ahead test changes later closes and checks the row stays the same):
/// - the last `lags` daily log returns, newest first;
/// - the mean and the volatility (standard deviation) of the returns over each window;
/// - the log distance of the close from its moving average over each window;
/// - RSI-style momentum over `momentumWindow` returns, gains / (gains + losses) − ½;
/// - the weekday (0 = Monday … 4 = Friday) when the caller knows the dates.
public struct ReturnFeatures: Sendable, Codable, Equatable {
    public var lags = 5
    public var windows = [5, 20, 60]
    public var momentumWindow = 14

    public init() {}

    /// Columns per row, with or without the weekday.
    public func count(withWeekday: Bool) -> Int { lags + 3 * windows.count + 1 + (withWeekday ? 1 : 0) }

    /// The first origin with every feature defined: the longest look-back in returns.
    public var firstOrigin: Int { max(lags, momentumWindow, windows.max() ?? 0) }

    public var names: [String] {
        (1...lags).map { "return_lag\($0)" } + windows.map { "return_mean_\($0)" } + windows.map { "return_volatility_\($0)" }
            + windows.map { "distance_from_ma_\($0)" } + ["momentum_\(momentumWindow)"]
    }

    /// Row-major features for the origins in `origins` (each ≥ `firstOrigin`, < closes.count),
    /// as Float for XGBoost. `weekdays`, when given, has one entry per close.
    public func matrix(closes: [Double], origins: ClosedRange<Int>, weekdays: [Int]? = nil) -> [Float] {
        precondition(origins.lowerBound >= firstOrigin && origins.upperBound < closes.count, "origins need complete features")
        let width = count(withWeekday: weekdays != nil)
        var out = [Float](repeating: 0, count: origins.count * width)
        // r[i] = log(closes[i] / closes[i − 1]); r[0] is unused.
        var r = [Double](repeating: 0, count: closes.count)
        for i in 1..<closes.count { r[i] = log(closes[i] / closes[i - 1]) }
        for (row, t) in origins.enumerated() {
            var column = row * width
            func put(_ value: Double) { out[column] = Float(value); column += 1 }
            for lag in 0..<lags { put(r[t - lag]) }
            var means: [Double] = []
            for w in windows {
                var sum = 0.0
                for i in (t - w + 1)...t { sum += r[i] }
                means.append(sum / Double(w))
                put(means[means.count - 1])
            }
            for (index, w) in windows.enumerated() {
                var squares = 0.0
                for i in (t - w + 1)...t { squares += (r[i] - means[index]) * (r[i] - means[index]) }
                put(w > 1 ? (squares / Double(w - 1)).squareRoot() : 0)
            }
            for w in windows {
                var sum = 0.0
                for i in (t - w + 1)...t { sum += closes[i] }
                put(log(closes[t] / (sum / Double(w))))
            }
            var gains = 0.0, losses = 0.0
            for i in (t - momentumWindow + 1)...t { if r[i] > 0 { gains += r[i] } else { losses -= r[i] } }
            put(gains + losses > 0 ? gains / (gains + losses) - 0.5 : 0)
            if let weekdays { put(Double(weekdays[t])) }
        }
        return out
    }

    /// Targets at each origin: the log return over h = 1…horizon trading days, row-major
    /// (origin, h). Needs origins.upperBound + horizon < closes.count.
    public static func targets(closes: [Double], origins: ClosedRange<Int>, horizon: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(origins.count * horizon)
        for t in origins { for h in 1...horizon { out.append(Float(log(closes[t + h] / closes[t]))) } }
        return out
    }
}
