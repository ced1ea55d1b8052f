import Foundation

/// Exponential smoothing in the innovations state space form of Hyndman, Koehler, Ord & Snyder
/// (2008), fitted by maximum likelihood over the smoothing parameters and the initial state.
public struct ETS: ForecastModel {
    public enum Component: String, Sendable, Codable, CaseIterable {
        case additive = "A", multiplicative = "M"
    }

    /// Multiplicative trends are left out: forecast::ets and statsforecast exclude them from
    /// automatic selection by default, and their forecasts explode on long horizons.
    public enum Trend: String, Sendable, Codable, CaseIterable {
        case none = "N", additive = "A", additiveDamped = "Ad"
    }

    public let error: Component
    public let trend: Trend
    public let season: Component?
    public let seasonLength: Int
    public var name: String { "ets" }

    public init(error: Component, trend: Trend, season: Component? = nil, seasonLength: Int = 1) {
        precondition(seasonLength >= 1, "a season has at least one observation")
        self.error = error
        self.trend = trend
        self.season = seasonLength > 1 ? season : nil
        self.seasonLength = seasonLength
    }

    var kind: ETSKind { ETSKind(error: error, trend: trend, season: season, period: seasonLength) }

    public func fit(_ y: [Double]) throws -> FittedETS {
        let kind = self.kind
        let layout = ETSParameterLayout(kind: kind)
        let needed = max(layout.freeCount + 3, season == nil ? 0 : 2 * seasonLength)
        try validateSeries(y, model: name, minimum: needed)
        if error == .multiplicative || season == .multiplicative, y.contains(where: { $0 <= 0 }) {
            throw ForecastError.invalidInput("ETS with multiplicative components needs positive observations")
        }
        return try ETSEstimator(y: y, kind: kind, layout: layout).fit()
    }
}

/// A fitted ETS model: parameters, initial and final states, and information criteria.
public struct FittedETS: FittedModel {
    public static let stateVersion = 1

    public let error: ETS.Component
    public let trend: ETS.Trend
    public let season: ETS.Component?
    public let seasonLength: Int
    /// Smoothing parameters in HKOS form (β is not divided by α). β = 0 without a trend,
    /// γ = 0 without a season, φ = 1 unless the trend is damped.
    public let alpha: Double
    public let beta: Double
    public let gamma: Double
    public let phi: Double
    public let initialLevel: Double
    public let initialTrend: Double
    /// Seasonal states for the first cycle, in time order (s(1−m)…s(0)); empty without a season.
    public let initialSeason: [Double]
    /// The variance of the one-step errors, Σε²/(n − k) with k counting σ² (as forecast::ets);
    /// relative errors for multiplicative-error models.
    public internal(set) var sigma2: Double
    /// Gaussian log-likelihood with σ² at its MLE (HKOS eq. 5.3), as statsmodels reports it.
    public let logLikelihood: Double
    public let aic: Double
    public let aicc: Double
    public let bic: Double
    /// Estimated parameters including σ²: smoothing parameters, free initial states, σ².
    public let parameterCount: Int
    public private(set) var observations: Int
    private(set) var finalLevel: Double
    private(set) var finalTrend: Double
    /// `finalSeason[j]` applies to forecast step j+1 (and j+1+m, …).
    private(set) var finalSeason: [Double]

    public var spec: String { kind.spec }

    var kind: ETSKind { ETSKind(error: error, trend: trend, season: season, period: seasonLength) }

    /// The fitted model at given parameters: filters y for the final state and the likelihood.
    init(y: [Double], kind: ETSKind, parameters p: ETSParameters) throws {
        guard let filtered = ETSFilter.run(y, kind: kind, parameters: p) else {
            throw ForecastError.fitFailed(model: "ets", reason: "forecasts left the admissible range")
        }
        let n = Double(y.count)
        let k = Double(ETSParameterLayout(kind: kind).freeCount + 1)
        let logLikelihood = ETSFilter.logLikelihood(filtered, count: y.count)
        error = kind.error
        trend = kind.trend
        season = kind.season
        seasonLength = kind.period
        alpha = p.alpha
        beta = kind.hasTrend ? p.beta : 0
        gamma = kind.season == nil ? 0 : p.gamma
        phi = kind.isDamped ? p.phi : 1
        initialLevel = p.level
        initialTrend = kind.hasTrend ? p.trend : 0
        initialSeason = kind.season == nil ? [] : p.season
        sigma2 = filtered.sumSquaredErrors / max(n - k, 1)
        self.logLikelihood = logLikelihood
        aic = -2 * logLikelihood + 2 * k
        aicc = n - k - 1 > 0 ? aic + 2 * k * (k + 1) / (n - k - 1) : .infinity
        bic = -2 * logLikelihood + log(n) * k
        parameterCount = Int(k)
        observations = y.count
        finalLevel = filtered.level
        finalTrend = filtered.trend
        finalSeason = filtered.season
    }

    /// Point forecasts (the recursion with zero innovations, HKOS §2.3) and intervals: analytic
    /// variances for the linear classes 1 and 2 of HKOS ch. 6, seeded simulation otherwise.
    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        precondition(horizon >= 0, "horizon is not negative")
        let mean = pointForecasts(horizon: horizon)
        if levels.isEmpty { return Forecast(mean: mean, intervals: []) }
        switch (error, season) {
        case (_, .multiplicative?):
            return simulatedForecast(mean: mean, levels: levels)
        case (.additive, _):
            return Forecast.gaussian(mean: mean, sd: additiveErrorVariances(horizon: horizon).map { $0.squareRoot() },
                                     levels: levels)
        case (.multiplicative, _):
            return Forecast.gaussian(mean: mean, sd: multiplicativeErrorVariances(mean: mean).map { $0.squareRoot() },
                                     levels: levels)
        }
    }

    func pointForecasts(horizon: Int) -> [Double] {
        var damped = 0.0  // φ_h = φ + φ² + … + φ^h
        var power = 1.0
        return (0..<horizon).map { step in
            power *= phi
            damped += power
            let lp = finalLevel + (trend == .none ? 0 : damped * finalTrend)
            switch season {
            case nil: return lp
            case .additive?: return lp + finalSeason[step % seasonLength]
            case .multiplicative?: return lp * finalSeason[step % seasonLength]
            }
        }
    }

    /// c_j = α + β·φ_j + γ·d_{j,m}: the weight of an innovation j steps back (HKOS table 6.1).
    private func innovationWeights(count: Int) -> [Double] {
        var damped = 0.0
        var power = 1.0
        return (1..<max(count, 1)).map { j in
            power *= phi
            damped += power
            let trendPart = trend == .none ? 0 : beta * damped
            let seasonPart = season != nil && j % seasonLength == 0 ? gamma : 0
            return alpha + trendPart + seasonPart
        }
    }

    /// Class 1 (HKOS eq. 6.1): v_h = σ²·(1 + Σ_{j<h} c_j²).
    private func additiveErrorVariances(horizon: Int) -> [Double] {
        let c = innovationWeights(count: horizon)
        var sum = 0.0
        return (0..<horizon).map { h in
            if h > 0 { sum += c[h - 1] * c[h - 1] }
            return sigma2 * (1 + sum)
        }
    }

    /// Class 2 (HKOS §6.3): θ₁ = μ₁², θ_h = μ_h² + σ²·Σ_{j<h} c_j²·θ_{h−j}; v_h = (1+σ²)·θ_h − μ_h².
    private func multiplicativeErrorVariances(mean: [Double]) -> [Double] {
        let c = innovationWeights(count: mean.count)
        var theta: [Double] = []
        theta.reserveCapacity(mean.count)
        for h in 0..<mean.count {
            var sum = 0.0
            if h > 0 { for j in 1...h { sum += c[j - 1] * c[j - 1] * theta[h - j] } }
            theta.append(mean[h] * mean[h] + sigma2 * sum)
        }
        return zip(theta, mean).map { max((1 + sigma2) * $0 - $1 * $1, 0) }
    }

    /// Quantiles of simulated sample paths for models without a closed-form variance. The seed is
    /// fixed, so the same fitted model always gives the same intervals.
    private func simulatedForecast(mean: [Double], levels: [Double], paths: Int = 4000) -> Forecast {
        let horizon = mean.count
        var generator = SplitMix64(seed: 0x5EED_E7)
        let sigma = sigma2.squareRoot()
        let m = seasonLength
        var samples = [[Double]](repeating: [Double](repeating: 0, count: paths), count: horizon)
        var seasonBuffer = finalSeason
        for path in 0..<paths {
            var level = finalLevel
            var slope = finalTrend
            for j in 0..<m { seasonBuffer[j] = finalSeason[j] }
            for step in 0..<horizon {
                let slot = step % m
                let lp = level + (trend == .none ? 0 : phi * slope)
                let s = season == nil ? 0 : seasonBuffer[slot]
                let yhat = season == .multiplicative ? lp * s : lp + s
                let e = sigma * generator.nextGaussian()
                let u = error == .multiplicative ? yhat * e : e
                samples[step][path] = yhat + u
                if season == .multiplicative {
                    level = lp + alpha * u / s
                    slope = (trend == .none ? 0 : phi * slope) + beta * u / s
                    seasonBuffer[slot] = s + gamma * u / lp
                } else {
                    level = lp + alpha * u
                    slope = (trend == .none ? 0 : phi * slope) + beta * u
                    if season != nil { seasonBuffer[slot] = s + gamma * u }
                }
            }
        }
        let sorted = samples.map { $0.sorted() }
        func quantile(_ values: [Double], _ p: Double) -> Double {
            let position = p * Double(values.count - 1)
            let lower = Int(position.rounded(.down))
            let upper = min(lower + 1, values.count - 1)
            return values[lower] + (position - Double(lower)) * (values[upper] - values[lower])
        }
        let intervals = levels.map { level in
            Forecast.Interval(level: level,
                              lower: sorted.map { quantile($0, 0.5 - level / 2) },
                              upper: sorted.map { quantile($0, 0.5 + level / 2) })
        }
        return Forecast(mean: mean, intervals: intervals)
    }
}

extension FittedETS: UpdatableModel {
    /// Runs the recursions on from the final state over the newer observations, smoothing
    /// parameters and σ² unchanged: the state a filter over the whole longer series from the
    /// fitted initial state ends in. Fit statistics stay those of the fit.
    public func updated(with newer: [Double]) throws -> FittedETS {
        try validateNewer(newer, model: "ets")
        guard !newer.isEmpty else { return self }
        let end = ETSParameters(alpha: alpha, beta: beta, gamma: gamma, phi: phi, level: finalLevel, trend: finalTrend, season: finalSeason)
        guard let filtered = ETSFilter.run(newer, kind: kind, parameters: end) else {
            throw ForecastError.fitFailed(model: "ets", reason: "the newer observations took \(spec) out of its admissible range")
        }
        var next = self
        next.observations += newer.count
        next.finalLevel = filtered.level
        next.finalTrend = filtered.trend
        next.finalSeason = filtered.season
        return next
    }
}
