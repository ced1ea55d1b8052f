import Foundation

/// Decomposable model of Taylor & Letham (2018), "Forecasting at scale": piecewise-linear trend
/// with changepoints under a Laplace (sparsity) prior, additive Fourier seasonalities, MAP fit,
/// and intervals from observation noise plus simulated future trend changes (§3.1.4).
///
/// Time is the step index (t = 0, 1, 2, …) and periods are in steps. Defaults are prophet's,
/// with seasonalities for daily trading data: a trading week of 5 steps (order 2, the most a
/// 5-step cycle supports) and a trading year of 252 steps (order 10, prophet's yearly default).
public struct ProphetStyle: ForecastModel {
    public struct Seasonality: Sendable, Codable, Equatable {
        /// Length of one cycle, in steps.
        public let period: Double
        /// Number of sine/cosine pairs.
        public let order: Int

        public init(period: Double, order: Int) {
            precondition(period > 1 && order >= 1, "a seasonality needs period > 1 and order ≥ 1")
            self.period = period
            self.order = order
        }
    }

    public static let defaultSeasonalities = [Seasonality(period: 5, order: 2), Seasonality(period: 252, order: 10)]

    public let seasonalities: [Seasonality]
    public let changepointCount: Int
    public let changepointRange: Double
    public let changepointPriorScale: Double
    public let seasonalityPriorScale: Double
    public let intervalSamples: Int
    /// Full cycles of history a seasonality needs before it is fitted. 2 is prophet's rule for
    /// its automatic seasonalities (a cycle seen once cannot be told apart from the trend);
    /// 0 fits every seasonality given, as prophet does with `add_seasonality`.
    public let requiredCycles: Double

    public var name: String { "prophet" }

    public init(seasonalities: [Seasonality] = ProphetStyle.defaultSeasonalities, changepointCount: Int = 25,
                changepointRange: Double = 0.8, changepointPriorScale: Double = 0.05,
                seasonalityPriorScale: Double = 10, intervalSamples: Int = 1000,
                requiredCycles: Double = 2) {
        precondition(changepointCount >= 0 && changepointRange > 0 && changepointRange <= 1, "changepoints in (0, 1] of history")
        precondition(changepointPriorScale > 0 && seasonalityPriorScale > 0 && intervalSamples >= 1, "positive scales and samples")
        self.seasonalities = seasonalities
        self.changepointCount = changepointCount
        self.changepointRange = changepointRange
        self.changepointPriorScale = changepointPriorScale
        self.seasonalityPriorScale = seasonalityPriorScale
        self.intervalSamples = intervalSamples
        self.requiredCycles = requiredCycles
    }

    public func fit(_ y: [Double]) throws -> FittedProphetStyle {
        try validateSeries(y, model: name, minimum: 10)
        let n = y.count
        // prophet's "absmax" scaling: y / max|y|, so the priors' scales mean the same on any series.
        let largest = y.reduce(0) { max($0, abs($1)) }
        let yScale = largest > 0 ? largest : 1
        let scaled = y.map { $0 / yScale }
        let changepoints = Self.changepointTimes(observations: n, count: changepointCount, range: changepointRange)
        let used = seasonalities.filter { requiredCycles * $0.period <= Double(n) }
        let design = ProphetDesign(scaled: scaled, changepoints: changepoints, seasonalities: used)
        // prophet's initial trend: the line through the first and last points.
        var initial = [Double](repeating: 0, count: design.columnCount)
        initial[0] = scaled[n - 1] - scaled[0]
        initial[1] = scaled[0]
        let priors = ProphetPriors(changepointScale: changepointPriorScale, seasonalityScale: seasonalityPriorScale)
        let estimate = ProphetMAP.fit(design: design, priors: priors, initial: initial)
        guard estimate.theta.allSatisfy(\.isFinite), estimate.sigma.isFinite else {
            throw ForecastError.fitFailed(model: name, reason: "the MAP iteration did not converge to finite values")
        }
        let deltas = Array(estimate.theta[design.changepointColumns])
        return FittedProphetStyle(observations: n, yScale: yScale, k: estimate.theta[0], m: estimate.theta[1],
                                  changepoints: changepoints, deltas: deltas,
                                  betas: Array(estimate.theta[design.changepointColumns.upperBound...]),
                                  sigma: estimate.sigma, seasonalities: used, intervalSamples: intervalSamples)
    }

    /// Changepoints on the scaled time axis: `count` of them evenly spaced over the first `range`
    /// of the history, at observed steps, the first step excluded (prophet's placement; indices
    /// rounded half to even, as numpy does).
    static func changepointTimes(observations n: Int, count: Int, range: Double) -> [Double] {
        let historySize = Int((Double(n) * range).rounded(.down))
        let used = min(count, historySize - 1)
        guard used > 0 else { return [] }
        let spacing = Double(historySize - 1) / Double(used)
        return (1...used).map { j in
            Double(Int((Double(j) * spacing).rounded(.toNearestOrEven))) / Double(n - 1)
        }
    }
}

public struct FittedProphetStyle: FittedModel {
    public static let stateVersion = 1

    let observations: Int
    let yScale: Double
    /// Trend on the scaled axes: rate k, offset m, rate changes δ at `changepoints` (t in [0, 1]).
    let k: Double
    let m: Double
    let changepoints: [Double]
    let deltas: [Double]
    /// Fourier coefficients, (sin, cos) per order, seasonalities in order.
    let betas: [Double]
    /// Observation noise sd on the scaled axis.
    let sigma: Double
    let seasonalities: [ProphetStyle.Seasonality]
    let intervalSamples: Int
    /// Observations that arrived after the fit (`updated(with:)`); nil in a fresh fit.
    private(set) var newerObservations: Int?

    public var spec: String {
        let seasons = seasonalities.map { season in
            let period = season.period == season.period.rounded() ? String(Int(season.period)) : String(season.period)
            return "\(period) (order \(season.order))"
        }
        return "Prophet-style: piecewise-linear trend, \(changepoints.count) changepoints, "
            + (seasons.isEmpty ? "no seasonality" : "seasonalities " + seasons.joined(separator: ", "))
    }

    /// Trend plus seasonality at step i on the scaled axis (i ≥ n extrapolates).
    func scaledMean(step i: Int) -> Double {
        var row = [Double](repeating: 0, count: 2 + changepoints.count + betas.count)
        ProphetDesign.fillRow(&row, step: i, observations: observations, changepoints: changepoints, seasonalities: seasonalities)
        var value = k * row[0] + m
        for j in 0..<deltas.count { value += deltas[j] * row[2 + j] }
        for j in 0..<betas.count { value += betas[j] * row[2 + deltas.count + j] }
        return value
    }

    /// Steps 1…horizon after the last observation: the fit's own, or the newest of those taken
    /// since (the trend simulation then runs from the end of the fit over the skipped steps too).
    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        guard horizon > 0 else { return Forecast(mean: [], intervals: levels.map { .init(level: $0, lower: [], upper: []) }) }
        let skipped = newerObservations ?? 0
        let steps = skipped..<(skipped + horizon)  // 0-based steps after the end of the fit
        let base = steps.map { scaledMean(step: observations + $0) }
        let deviations = TrendSimulation.futureTrendDeviations(
            horizon: skipped + horizon, observations: observations, changepointCount: changepoints.count,
            meanAbsoluteChange: deltas.isEmpty ? 0 : deltas.reduce(0) { $0 + abs($1) } / Double(deltas.count),
            samples: intervalSamples)
        var intervals = levels.map { Forecast.Interval(level: $0, lower: [], upper: []) }
        for (h, step) in steps.enumerated() {
            let mixture = TrendSimulation.Mixture(centres: deviations[step], sd: sigma)
            for (index, level) in levels.enumerated() {
                intervals[index].lower.append((base[h] + mixture.quantile(0.5 - level / 2)) * yScale)
                intervals[index].upper.append((base[h] + mixture.quantile(0.5 + level / 2)) * yScale)
            }
        }
        return Forecast(mean: base.map { $0 * yScale }, intervals: intervals)
    }
}

extension FittedProphetStyle: UpdatableModel {
    /// A curve fit has no state to filter: kept as fitted, it forecasts the dates after the
    /// newer observations, its trend uncertainty growing from the end of the fit (what a
    /// Prophet model fitted once and asked about later dates does).
    public func updated(with newer: [Double]) throws -> FittedProphetStyle {
        try validateNewer(newer, model: "prophet")
        var next = self
        next.newerObservations = (newerObservations ?? 0) + newer.count
        return next
    }
}
