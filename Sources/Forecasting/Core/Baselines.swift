import Foundation

// The baselines every model is measured against (Hyndman & Athanasopoulos, FPP3 §5.2; interval
// standard deviations from FPP3 §5.5, table 5.2). σ is the root mean square of the one-step
// residuals.

/// Random walk: ŷ(T+h) = y(T), sd(h) = σ√h.
public struct Naive: ForecastModel {
    public var name: String { "naive" }
    public init() {}

    public func fit(_ y: [Double]) throws -> FittedNaive {
        try validateSeries(y, model: name, minimum: 2)
        var sum = 0.0
        for t in 1..<y.count { sum += (y[t] - y[t - 1]) * (y[t] - y[t - 1]) }
        return FittedNaive(last: y[y.count - 1], sigma: (sum / Double(y.count - 1)).squareRoot())
    }
}

public struct FittedNaive: FittedModel {
    public static let stateVersion = 1
    public let last: Double
    public let sigma: Double
    public var spec: String { "Naive (random walk): ŷ(T+h) = y(T)" }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        Forecast.gaussian(mean: Array(repeating: last, count: horizon),
                          sd: (0..<horizon).map { sigma * Double($0 + 1).squareRoot() }, levels: levels)
    }
}

/// Seasonal random walk: ŷ(T+h) = y(T+h−m(k+1)), k = ⌊(h−1)/m⌋, sd(h) = σ√(k+1).
public struct SeasonalNaive: ForecastModel {
    public let seasonLength: Int
    public var name: String { "snaive" }
    public init(seasonLength: Int) {
        precondition(seasonLength >= 1, "season length must be at least 1")
        self.seasonLength = seasonLength
    }

    public func fit(_ y: [Double]) throws -> FittedSeasonalNaive {
        let m = seasonLength
        try validateSeries(y, model: name, minimum: m + 1)
        var sum = 0.0
        for t in m..<y.count { sum += (y[t] - y[t - m]) * (y[t] - y[t - m]) }
        return FittedSeasonalNaive(lastSeason: Array(y.suffix(m)), sigma: (sum / Double(y.count - m)).squareRoot())
    }
}

public struct FittedSeasonalNaive: FittedModel {
    public static let stateVersion = 1
    public let lastSeason: [Double]
    public let sigma: Double
    public var spec: String { "Seasonal naive: ŷ(T+h) = y(T+h−\(lastSeason.count)(k+1))" }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        let m = lastSeason.count
        let steps = (0..<horizon).map { $0 + 1 }
        return Forecast.gaussian(mean: steps.map { lastSeason[($0 - 1) % m] },
                                 sd: steps.map { sigma * Double(($0 - 1) / m + 1).squareRoot() }, levels: levels)
    }
}

/// Random walk with drift: ŷ(T+h) = y(T) + h·(y(T) − y(1))/(T − 1), sd(h) = σ√(h(1 + h/(T−1))):
/// the drift's own estimation error grows with h.
public struct Drift: ForecastModel {
    public var name: String { "drift" }
    public init() {}

    public func fit(_ y: [Double]) throws -> FittedDrift {
        try validateSeries(y, model: name, minimum: 3)
        let count = y.count
        let slope = (y[count - 1] - y[0]) / Double(count - 1)
        var sum = 0.0
        for t in 1..<count {
            let residual = y[t] - y[t - 1] - slope
            sum += residual * residual
        }
        return FittedDrift(last: y[count - 1], slope: slope, sigma: (sum / Double(count - 2)).squareRoot(), observations: count)
    }
}

public struct FittedDrift: FittedModel {
    public static let stateVersion = 1
    public let last: Double
    public let slope: Double
    public let sigma: Double
    public let observations: Int
    public var spec: String { "Random walk with drift: ŷ(T+h) = y(T) + h·(y(T) − y(1))/(T − 1)" }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        let steps = (0..<horizon).map { Double($0 + 1) }
        let t = Double(observations - 1)
        return Forecast.gaussian(mean: steps.map { last + $0 * slope },
                                 sd: steps.map { sigma * ($0 * (1 + $0 / t)).squareRoot() }, levels: levels)
    }
}

// Baselines between refits: the random walks move to the newest value; the drift keeps its slope.
extension FittedNaive: UpdatableModel {
    public func updated(with newer: [Double]) throws -> FittedNaive {
        try validateNewer(newer, model: "naive")
        return FittedNaive(last: newer.last ?? last, sigma: sigma)
    }
}

extension FittedSeasonalNaive: UpdatableModel {
    public func updated(with newer: [Double]) throws -> FittedSeasonalNaive {
        try validateNewer(newer, model: "snaive")
        return FittedSeasonalNaive(lastSeason: Array((lastSeason + newer).suffix(lastSeason.count)), sigma: sigma)
    }
}

extension FittedDrift: UpdatableModel {
    public func updated(with newer: [Double]) throws -> FittedDrift {
        try validateNewer(newer, model: "drift")
        return FittedDrift(last: newer.last ?? last, slope: slope, sigma: sigma, observations: observations + newer.count)
    }
}
