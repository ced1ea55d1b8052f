import Foundation

/// Point and interval accuracy measures (Hyndman & Koehler 2006; FPP3 §5.8–5.9).
public enum ForecastMetrics {
    /// MASE's scale: the in-sample mean absolute error of the one-step naive forecast,
    /// mean |y(t) − y(t−1)| over the training data.
    public static func naiveScale<C: RandomAccessCollection>(_ training: C) -> Double where C.Element == Double, C.Index == Int {
        guard training.count >= 2 else { return .nan }
        var sum = 0.0
        var previous = training[training.startIndex]
        for value in training.dropFirst() {
            sum += abs(value - previous)
            previous = value
        }
        return sum / Double(training.count - 1)
    }

    /// Symmetric MAPE term in percent: 200·|a − f| / (|a| + |f|); 0 when both are 0.
    public static func smape(actual: Double, forecast: Double) -> Double {
        let denominator = abs(actual) + abs(forecast)
        return denominator == 0 ? 0 : 200 * abs(actual - forecast) / denominator
    }

    /// Whether the forecast called the direction of the move from the last observation.
    /// nil when either the forecast or the actual shows no move: a forecast of "no change" has
    /// no direction to score (so the naive model has no directional accuracy).
    public static func directionHit(last: Double, actual: Double, forecast: Double) -> Bool? {
        let predicted = forecast - last, realised = actual - last
        guard predicted != 0, realised != 0 else { return nil }
        return (predicted > 0) == (realised > 0)
    }
}

/// Accuracy of one model at one horizon over the origins of a backtest.
public struct HorizonAccuracy: Sendable, Codable, Equatable {
    public let horizon: Int
    /// Origins where the model produced a forecast for this horizon.
    public let origins: Int
    public let mase: Double
    /// Percent, 0–200.
    public let smape: Double
    public let rmse: Double
    /// Share of origins where the forecast's direction matched the move; nil if never scored.
    public let directionalAccuracy: Double?
    public let coverage80: Double
    public let coverage95: Double
    /// 1 − MASE / MASE(naive) at the same origins: above 0 beats the random walk.
    public let skillVsNaive: Double?

    enum CodingKeys: String, CodingKey {
        case horizon, origins, mase, smape, rmse
        case directionalAccuracy = "directional_accuracy"
        case coverage80 = "coverage_80", coverage95 = "coverage_95"
        case skillVsNaive = "skill_vs_naive"
    }
}

/// Running sums for one (model, horizon) cell of a backtest.
struct AccuracyAccumulator {
    var count = 0
    var scaledError = 0.0
    var smape = 0.0
    var squaredError = 0.0
    var directionScored = 0
    var directionHits = 0
    var inside80 = 0
    var inside95 = 0

    mutating func add(actual: Double, last: Double, scale: Double, forecast: Forecast, step: Int) {
        let mean = forecast.mean[step]
        count += 1
        scaledError += abs(actual - mean) / scale
        smape += ForecastMetrics.smape(actual: actual, forecast: mean)
        squaredError += (actual - mean) * (actual - mean)
        if let hit = ForecastMetrics.directionHit(last: last, actual: actual, forecast: mean) {
            directionScored += 1
            if hit { directionHits += 1 }
        }
        if let band = forecast.interval(level: 0.8), band.lower[step] <= actual && actual <= band.upper[step] { inside80 += 1 }
        if let band = forecast.interval(level: 0.95), band.lower[step] <= actual && actual <= band.upper[step] { inside95 += 1 }
    }

    func result(horizon: Int, naiveMASE: Double?) -> HorizonAccuracy? {
        guard count > 0 else { return nil }
        let n = Double(count)
        let mase = scaledError / n
        return HorizonAccuracy(
            horizon: horizon, origins: count, mase: mase, smape: smape / n, rmse: (squaredError / n).squareRoot(),
            directionalAccuracy: directionScored > 0 ? Double(directionHits) / Double(directionScored) : nil,
            coverage80: Double(inside80) / n, coverage95: Double(inside95) / n,
            skillVsNaive: naiveMASE.flatMap { $0 > 0 ? 1 - mase / $0 : nil })
    }
}
