import Foundation

/// Where each estimated quantity sits in the optimizer's unconstrained vector:
/// [α, β?, γ?, φ?, ℓ₀, b₀?, s…(m−1 free seasonal states)].
struct ETSParameterLayout {
    let kind: ETSKind
    var smoothingCount: Int { 1 + (kind.hasTrend ? 1 : 0) + (kind.season == nil ? 0 : 1) + (kind.isDamped ? 1 : 0) }
    var stateCount: Int { 1 + (kind.hasTrend ? 1 : 0) + (kind.season == nil ? 0 : kind.period - 1) }
    /// Estimated quantities, σ² excluded.
    var freeCount: Int { smoothingCount + stateCount }
}

/// The "usual" region of HKOS §10.2 / forecast::ets: 0 < β < α < 1, 0 < γ < 1 − α,
/// 0.8 < φ < 0.98. Each bounded quantity is lo + (hi − lo)·(1 + sin θ)/2 of an unconstrained θ:
/// unlike a logistic map this reaches the bounds at finite θ with zero slope, so optima on the
/// boundary (α → 1 on prices, γ → 1 − α, φ → 0.8) are ordinary stationary points for BFGS.
enum ETSBounds {
    static let lower = 1e-4
    static let upper = 0.9999
    static let phiLower = 0.8
    static let phiUpper = 0.98

    /// Position in [0, 1] of the bounded value for the unconstrained coordinate θ.
    static func fraction(_ theta: Double) -> Double { 0.5 * (1 + sin(theta)) }
    static func coordinate(forFraction p: Double) -> Double { asin(min(max(2 * p - 1, -1), 1)) }
}

struct ETSEstimator {
    let y: [Double]
    let kind: ETSKind
    let layout: ETSParameterLayout

    /// Heuristic initial state (HKOS §2.6.1) and the step sizes that make the optimizer's
    /// state coordinates comparable to its smoothing coordinates.
    struct Start {
        var level: Double
        var trend: Double
        var season: [Double]
        var levelScale: Double
        var seasonScale: Double
    }

    func fit() throws -> FittedETS {
        let start = initialState()
        let objective: ([Double]) -> Double = { x in
            guard let r = ETSFilter.run(y, kind: kind, parameters: parameters(x, start)) else { return .infinity }
            // −2·log L up to a constant: n·log(Σε²) + 2·Σ log|ŷ| (HKOS eq. 5.3).
            return Double(y.count) * log(max(r.sumSquaredErrors, Double.leastNormalMagnitude)) + 2 * r.sumLogForecasts
        }
        // The likelihood is often multimodal (slow smoothing vs. a random walk level; a season
        // that adapts fast vs. a fixed one), so rank a small grid of starting smoothing values.
        // For a seasonal model the modes differ mostly in γ (a season that adapts vs. a fixed
        // one: on wineind the best start by value leads to γ ≈ 0.2, the optimum has γ ≈ 0.0003),
        // so BFGS runs from the best α of every γ start.
        var starts: [(x: [Double], value: Double)] = []
        for seasonFraction in kind.season == nil ? [0.05] : [0.002, 0.05, 0.5, 0.95] {
            var bestForSeason: (x: [Double], value: Double)? = nil
            for alpha in [0.1, 0.5, 0.9] {
                let x = initialVector(alpha: alpha, seasonFraction: seasonFraction)
                let value = objective(x)
                if value.isFinite, value < bestForSeason?.value ?? .infinity { bestForSeason = (x, value) }
            }
            if let bestForSeason { starts.append(bestForSeason) }
        }
        guard !starts.isEmpty else {
            throw ForecastError.fitFailed(model: "ets", reason: "no admissible starting point for \(kind.spec)")
        }
        var best: Minimizer.Result? = nil
        for candidate in starts {
            let result = Minimizer.bfgs(candidate.x, maxIterations: 200, gradientTolerance: 1e-5, valueTolerance: 1e-10,
                                        gradient: kind.season == nil ? { analyticGradient($0, start: start) } : nil,
                                        objective)
            if result.value < best?.value ?? .infinity { best = result }
        }
        // BFGS on numerical gradients can stall in the narrow valleys of seasonal models; one
        // restart with a fresh Hessian from the best point is cheap when it has converged.
        if kind.season != nil, let first = best {
            let polished = Minimizer.bfgs(first.x, maxIterations: 200, gradientTolerance: 1e-5, valueTolerance: 1e-10, objective)
            if polished.value < first.value { best = polished }
        }
        guard let result = best, result.value.isFinite else {
            throw ForecastError.fitFailed(model: "ets", reason: "likelihood is not finite for \(kind.spec)")
        }
        return try FittedETS(y: y, kind: kind, parameters: parameters(result.x, start))
    }

    /// Chain rule from the natural-parameter gradient of `nonSeasonalObjectiveGradient` to the
    /// optimizer's coordinates (the sine maps and the state scales of `parameters`).
    private func analyticGradient(_ x: [Double], start: Start) -> [Double] {
        let p = parameters(x, start)
        guard let (_, g) = ETSFilter.nonSeasonalObjectiveGradient(y, kind: kind, parameters: p) else {
            return [Double](repeating: 0, count: x.count)
        }
        let span = ETSBounds.upper - ETSBounds.lower
        var i = 0
        var out: [Double] = []
        out.reserveCapacity(x.count)
        let dAlpha = span * 0.5 * cos(x[0])
        if kind.hasTrend {
            let betaFraction = ETSBounds.fraction(x[1])
            out.append((g[0] + g[1] * betaFraction) * dAlpha)
            out.append(g[1] * (p.alpha - ETSBounds.lower) * 0.5 * cos(x[1]))
            i = 2
        } else {
            out.append(g[0] * dAlpha)
            i = 1
        }
        if kind.isDamped {
            out.append(g[2] * (ETSBounds.phiUpper - ETSBounds.phiLower) * 0.5 * cos(x[i]))
            i += 1
        }
        out.append(g[3] * start.levelScale)
        if kind.hasTrend { out.append(g[4] * 0.1 * start.levelScale) }
        return out
    }

    private func initialVector(alpha: Double, seasonFraction: Double) -> [Double] {
        let span = ETSBounds.upper - ETSBounds.lower
        var x = [ETSBounds.coordinate(forFraction: (alpha - ETSBounds.lower) / span)]
        if kind.hasTrend { x.append(ETSBounds.coordinate(forFraction: 0.1)) }   // β = 0.1·α (forecast::ets starts similarly)
        if kind.season != nil { x.append(ETSBounds.coordinate(forFraction: seasonFraction)) }
        if kind.isDamped { x.append(ETSBounds.coordinate(forFraction: (0.95 - ETSBounds.phiLower) / (ETSBounds.phiUpper - ETSBounds.phiLower))) }
        x.append(contentsOf: [Double](repeating: 0, count: layout.stateCount))
        return x
    }

    /// Maps the unconstrained vector onto the bounded parameters and the normalised seasonal
    /// states (Σs = 0 additive, Σs = m multiplicative, as forecast::ets), so m−1 are free.
    func parameters(_ x: [Double], _ start: Start) -> ETSParameters {
        var i = 0
        func next() -> Double { defer { i += 1 }; return x[i] }
        let lower = ETSBounds.lower
        let alpha = lower + (ETSBounds.upper - lower) * ETSBounds.fraction(next())
        let beta = kind.hasTrend ? lower + (alpha - lower) * ETSBounds.fraction(next()) : 0
        let gamma = kind.season != nil ? lower + max(1 - alpha - lower, 0) * ETSBounds.fraction(next()) : 0
        let phi = kind.isDamped
            ? ETSBounds.phiLower + (ETSBounds.phiUpper - ETSBounds.phiLower) * ETSBounds.fraction(next()) : 1
        let level = start.level + start.levelScale * next()
        let trend = kind.hasTrend ? start.trend + 0.1 * start.levelScale * next() : 0
        var season: [Double] = []
        if kind.season != nil {
            let m = kind.period
            season.reserveCapacity(m)
            var sum = 0.0
            for j in 0..<(m - 1) {
                let s = start.season[j] + start.seasonScale * next()
                season.append(s)
                sum += s
            }
            season.append(kind.season == .multiplicative ? Double(m) - sum : -sum)
        }
        return ETSParameters(alpha: alpha, beta: beta, gamma: gamma, phi: phi, level: level, trend: trend, season: season)
    }

    /// HKOS §2.6.1: seasonal indices from a classical decomposition of the first cycles (centred
    /// moving average), then ℓ₀, b₀ from a straight line through the first ten seasonally adjusted
    /// observations.
    func initialState() -> Start {
        let m = kind.period
        var season: [Double] = []
        var adjusted = y
        if let seasonType = kind.season {
            let cycles = min(y.count / m, 4)
            let window = Array(y[0..<(cycles * m)])
            let trendLine = centredMovingAverage(window, period: m)
            var sums = [Double](repeating: 0, count: m)
            var counts = [Double](repeating: 0, count: m)
            for (t, average) in trendLine.enumerated() {
                guard let average else { continue }
                sums[t % m] += seasonType == .multiplicative ? window[t] / average : window[t] - average
                counts[t % m] += 1
            }
            season = zip(sums, counts).map { $1 > 0 ? $0 / $1 : (seasonType == .multiplicative ? 1 : 0) }
            if seasonType == .multiplicative {
                let mean = season.reduce(0, +) / Double(m)
                season = season.map { $0 / mean }
            } else {
                let mean = season.reduce(0, +) / Double(m)
                season = season.map { $0 - mean }
            }
            for t in adjusted.indices {
                adjusted[t] = seasonType == .multiplicative ? y[t] / season[t % m] : y[t] - season[t % m]
            }
        }
        let count = min(10, adjusted.count)
        let head = Array(adjusted[0..<count])
        let meanT = Double(count + 1) / 2
        let meanY = head.reduce(0, +) / Double(count)
        var sxy = 0.0, sxx = 0.0
        for (t, value) in head.enumerated() {
            sxy += (Double(t + 1) - meanT) * (value - meanY)
            sxx += (Double(t + 1) - meanT) * (Double(t + 1) - meanT)
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        let level = kind.hasTrend ? meanY - slope * meanT : meanY
        // Step scale for the state coordinates: the typical one-step change of the series.
        var squares = 0.0
        for t in 1..<y.count { squares += (y[t] - y[t - 1]) * (y[t] - y[t - 1]) }
        let spread = (squares / Double(y.count - 1)).squareRoot()
        let levelScale = spread > 0 ? spread : max(abs(meanY), 1) * 1e-3
        let seasonScale = kind.season == .multiplicative ? levelScale / max(abs(meanY), 1e-8) : levelScale
        return Start(level: level, trend: kind.hasTrend ? slope : 0, season: season,
                     levelScale: levelScale, seasonScale: min(seasonScale, kind.season == .multiplicative ? 0.1 : seasonScale))
    }

    /// Centred moving average: 2×m for even m, m for odd m; nil where the window does not fit.
    private func centredMovingAverage(_ x: [Double], period m: Int) -> [Double?] {
        var out = [Double?](repeating: nil, count: x.count)
        let half = m / 2
        guard x.count > 2 * half else { return out }
        for t in half..<(x.count - half) {
            if m % 2 == 1 {
                out[t] = x[(t - half)...(t + half)].reduce(0, +) / Double(m)
            } else {
                var sum = 0.5 * (x[t - half] + x[t + half])
                for j in (t - half + 1)..<(t + half) { sum += x[j] }
                out[t] = sum / Double(m)
            }
        }
        return out
    }
}
