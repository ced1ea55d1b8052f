import Foundation

/// Trading days: Monday to Friday. Exchange holidays are not modelled yet, so a forecast date
/// can fall on a holiday (the horizon still counts trading days of the calendar used).
public enum TradingCalendar {
    /// The `count` trading days after `isoDate`.
    public static func days(after isoDate: String, count: Int) -> [String] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = calendar.timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        guard var day = formatter.date(from: isoDate) else { return [] }
        var out: [String] = []
        while out.count < count {
            day = calendar.date(byAdding: .day, value: 1, to: day)!
            let weekday = calendar.component(.weekday, from: day)  // 1 Sunday … 7 Saturday
            if weekday != 1 && weekday != 7 { out.append(formatter.string(from: day)) }
        }
        return out
    }
}

/// A point forecast with central 80% and 95% prediction intervals.
public struct IntervalForecast: Sendable, Equatable, Codable {
    public let mean: Double
    public let lo80: Double
    public let hi80: Double
    public let lo95: Double
    public let hi95: Double

    enum CodingKeys: String, CodingKey {
        case mean
        case lo80 = "lo_80", hi80 = "hi_80", lo95 = "lo_95", hi95 = "hi_95"
    }

    /// Gaussian interval around `mean` with standard deviation `sd` (z 1.2816 and 1.9600).
    init(mean: Double, sd: Double) {
        self.mean = mean
        lo80 = mean - 1.2815515655446004 * sd
        hi80 = mean + 1.2815515655446004 * sd
        lo95 = mean - 1.959963984540054 * sd
        hi95 = mean + 1.959963984540054 * sd
    }
}

/// The two baselines every model is measured against (Hyndman & Athanasopoulos, FPP3 §5.2 and
/// §5.5), fitted on prices. Both are values: `forecast` does not change them.
public enum BaselineModel: String, Sendable, CaseIterable {
    case naive
    case drift

    public var spec: String {
        switch self {
        case .naive: "Naive (random walk): ŷ(T+h) = y(T), on prices"
        case .drift: "Random walk with drift: ŷ(T+h) = y(T) + h·(y(T) − y(1))/(T − 1), on prices"
        }
    }

    /// Forecasts for each horizon (in steps). Needs at least three observations.
    public func forecast(_ y: [Double], horizons: [Int]) -> [IntervalForecast]? {
        let count = y.count
        guard count >= 3, let last = y.last else { return nil }
        switch self {
        case .naive:
            // Residuals are the one-step changes; σ²(h) = h σ².
            var sum = 0.0
            for t in 1..<count { sum += (y[t] - y[t - 1]) * (y[t] - y[t - 1]) }
            let sigma = (sum / Double(count - 1)).squareRoot()
            return horizons.map { IntervalForecast(mean: last, sd: sigma * Double($0).squareRoot()) }
        case .drift:
            let slope = (last - y[0]) / Double(count - 1)
            var sum = 0.0
            for t in 1..<count {
                let residual = y[t] - y[t - 1] - slope
                sum += residual * residual
            }
            let sigma = (sum / Double(count - 2)).squareRoot()
            // σ²(h) = σ² h (1 + h/(T − 1)): the drift's own estimation error grows with h.
            return horizons.map { h in
                IntervalForecast(mean: last + Double(h) * slope,
                                 sd: sigma * (Double(h) * (1 + Double(h) / Double(count - 1))).squareRoot())
            }
        }
    }
}
