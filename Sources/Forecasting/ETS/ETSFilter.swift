import Foundation

// The innovations state space models of Hyndman, Koehler, Ord & Snyder (2008), "Forecasting with
// Exponential Smoothing" (HKOS), table 2.3, restricted to additive or damped trends.
//
// With lp = ℓ(t−1) + φ·b(t−1) and s = s(t−m), the one-step forecast is ŷ = lp, lp + s or lp·s.
// Writing the error-correction equations of table 2.3 in terms of u = y − ŷ (for multiplicative
// errors u = ŷ·ε) gives the same state updates for both error types:
//   additive season or none:  ℓ = lp + αu,    b = φb + βu,    s ← s + γu
//   multiplicative season:    ℓ = lp + αu/s,  b = φb + βu/s,  s ← s + γu/lp
// so the error type only changes the likelihood (and the forecast variance).

/// Which equations of HKOS table 2.3 apply.
struct ETSKind: Sendable, Hashable, Codable {
    var error: ETS.Component
    var trend: ETS.Trend
    var season: ETS.Component?
    /// Observations per season; 1 without a seasonal component.
    var period: Int

    var hasTrend: Bool { trend != .none }
    var isDamped: Bool { trend == .additiveDamped }
    var seasonLength: Int { season == nil ? 1 : period }

    /// ETS(error,trend,season), with [m] when seasonal.
    var spec: String {
        let body = "ETS(\(error.rawValue),\(trend.rawValue),\(season?.rawValue ?? "N"))"
        return season == nil ? body : "\(body)[\(period)]"
    }
}

/// Smoothing parameters and the initial state x₀ = (ℓ₀, b₀, s(1−m)…s(0)).
struct ETSParameters: Sendable, Equatable, Codable {
    var alpha: Double
    var beta: Double
    var gamma: Double
    var phi: Double
    var level: Double
    var trend: Double
    /// `season[i]` is the seasonal state applied to observation i (0-based) of the first cycle,
    /// i.e. s(i+1−m) in HKOS notation. Empty without a seasonal component.
    var season: [Double]
}

/// Sums the likelihood needs, and the state after the last observation.
struct ETSFilterResult {
    /// Σ ε², with ε = u for additive errors and u/ŷ for multiplicative ones.
    var sumSquaredErrors: Double
    /// Σ log|ŷ| (multiplicative errors only; 0 otherwise): the Jacobian term of HKOS eq. 5.3.
    var sumLogForecasts: Double
    var level: Double
    var trend: Double
    /// Rotated so that `season[j]` applies to forecast step j+1.
    var season: [Double]
}

enum ETSFilter {
    /// Runs the recursions over y. Returns nil when a multiplicative model's forecast leaves the
    /// positive half-line (its likelihood is then undefined) or a state becomes non-finite.
    static func run(_ y: [Double], kind: ETSKind, parameters p: ETSParameters) -> ETSFilterResult? {
        if kind.season == nil { return runNonSeasonal(y, kind: kind, parameters: p) }
        let m = kind.seasonLength
        let multiplicativeError = kind.error == .multiplicative
        let phi = kind.isDamped ? p.phi : 1
        let beta = kind.hasTrend ? p.beta : 0
        var level = p.level
        var trend = kind.hasTrend ? p.trend : 0
        var season = kind.season == nil ? [0.0] : p.season
        precondition(season.count == m, "one initial seasonal state per period")
        var sse = 0.0
        var logSum = 0.0
        var slot = 0
        let ok: Bool = season.withUnsafeMutableBufferPointer { s in
            for t in 0..<y.count {
                let lp = level + phi * trend
                let seasonal = s[slot]
                let yhat: Double
                switch kind.season {
                case nil: yhat = lp
                case .additive?: yhat = lp + seasonal
                case .multiplicative?: yhat = lp * seasonal
                }
                let u = y[t] - yhat
                if multiplicativeError {
                    guard yhat > 0 else { return false }
                    let e = u / yhat
                    sse += e * e
                    logSum += log(yhat)
                } else {
                    sse += u * u
                }
                switch kind.season {
                case .multiplicative?:
                    guard seasonal != 0, lp != 0 else { return false }
                    level = lp + p.alpha * u / seasonal
                    trend = phi * trend + beta * u / seasonal
                    s[slot] = seasonal + p.gamma * u / lp
                case .additive?:
                    level = lp + p.alpha * u
                    trend = phi * trend + beta * u
                    s[slot] = seasonal + p.gamma * u
                case nil:
                    level = lp + p.alpha * u
                    trend = phi * trend + beta * u
                }
                slot += 1
                if slot == m { slot = 0 }
            }
            return level.isFinite && trend.isFinite && sse.isFinite
        }
        guard ok else { return nil }
        let rotated = kind.season == nil ? [] : Array(season[slot...] + season[..<slot])
        return ETSFilterResult(sumSquaredErrors: sse, sumLogForecasts: logSum, level: level, trend: trend, season: rotated)
    }

    /// The hot path of AutoETS on prices: no season. Σ log ŷ is taken as the
    /// log of a running product, renormalised only when it leaves [1e-150, 1e150], so a fit
    /// costs a handful of logarithms instead of one per observation.
    private static func runNonSeasonal(_ y: [Double], kind: ETSKind, parameters p: ETSParameters) -> ETSFilterResult? {
        let phi = kind.isDamped ? p.phi : 1
        let beta = kind.hasTrend ? p.beta : 0
        let alpha = p.alpha
        var level = p.level
        var trend = kind.hasTrend ? p.trend : 0
        var sse = 0.0
        var logSum = 0.0
        var product = 1.0
        let ok: Bool = y.withUnsafeBufferPointer { y in
            if kind.error == .multiplicative {
                for value in y {
                    let yhat = level + phi * trend
                    guard yhat > 0 else { return false }
                    let u = value - yhat
                    let e = u / yhat
                    sse += e * e
                    product *= yhat
                    if product > 1e150 || product < 1e-150 { logSum += log(product); product = 1 }
                    level = yhat + alpha * u
                    trend = phi * trend + beta * u
                }
            } else {
                for value in y {
                    let yhat = level + phi * trend
                    let u = value - yhat
                    sse += u * u
                    level = yhat + alpha * u
                    trend = phi * trend + beta * u
                }
            }
            return true
        }
        guard ok, level.isFinite, trend.isFinite, sse.isFinite else { return nil }
        if kind.error == .multiplicative { logSum += log(product) }
        return ETSFilterResult(sumSquaredErrors: sse, sumLogForecasts: logSum, level: level, trend: trend, season: [])
    }

    /// The fitting objective n·log Σε² + 2·Σ log ŷ (−2 log L up to a constant) of a non-seasonal
    /// model and its gradient with respect to (α, β, φ, ℓ₀, b₀), by forward-mode
    /// differentiation of the recursion: with d = ∂/∂θ,
    ///   dŷ = dℓ + φ·db + b·dφ,   dℓ' = (1−α)·dŷ + u·dα,   db' = φ·db + b·dφ − β·dŷ + u·dβ,
    /// and dε = −dŷ (additive) or −y·dŷ/ŷ² (multiplicative). One pass instead of ten for
    /// central differences, and exact, so BFGS needs fewer iterations.
    static func nonSeasonalObjectiveGradient(_ y: [Double], kind: ETSKind, parameters p: ETSParameters)
        -> (value: Double, gradient: SIMD8<Double>)? {
        let phi = kind.isDamped ? p.phi : 1
        let beta = kind.hasTrend ? p.beta : 0
        let alpha = p.alpha
        let multiplicative = kind.error == .multiplicative
        // Lanes: α, β, φ, ℓ₀, b₀.
        let eAlpha = SIMD8<Double>(1, 0, 0, 0, 0, 0, 0, 0)
        let eBeta = SIMD8<Double>(0, 1, 0, 0, 0, 0, 0, 0)
        let ePhi = SIMD8<Double>(0, 0, kind.isDamped ? 1 : 0, 0, 0, 0, 0, 0)
        var level = p.level
        var trend = kind.hasTrend ? p.trend : 0
        var dLevel = SIMD8<Double>(0, 0, 0, 1, 0, 0, 0, 0)
        var dTrend = SIMD8<Double>(0, 0, 0, 0, kind.hasTrend ? 1 : 0, 0, 0, 0)
        var sse = 0.0
        var dSSE = SIMD8<Double>()
        var dLog = SIMD8<Double>()
        var logSum = 0.0
        var product = 1.0
        for value in y {
            let yhat = level + phi * trend
            let dYhat = dLevel + phi * dTrend + trend * ePhi
            let u = value - yhat
            if multiplicative {
                guard yhat > 0 else { return nil }
                let e = u / yhat
                sse += e * e
                dSSE -= (2 * e * value / (yhat * yhat)) * dYhat
                dLog += dYhat / yhat
                product *= yhat
                if product > 1e150 || product < 1e-150 { logSum += log(product); product = 1 }
            } else {
                sse += u * u
                dSSE -= (2 * u) * dYhat
            }
            let nextTrend = phi * trend + beta * u
            dTrend = phi * dTrend + trend * ePhi - beta * dYhat + u * eBeta
            dLevel = (1 - alpha) * dYhat + u * eAlpha
            level = yhat + alpha * u
            trend = nextTrend
        }
        guard level.isFinite, trend.isFinite, sse.isFinite, sse > 0 else { return nil }
        if multiplicative { logSum += log(product) }
        let n = Double(y.count)
        return (n * log(sse) + 2 * logSum, (n / sse) * dSSE + 2 * dLog)
    }

    /// Gaussian log-likelihood with σ² concentrated out at its MLE Σε²/n (HKOS eq. 5.3):
    /// log L = −n/2·(log(2π·Σε²/n) + 1) − Σ log|ŷ|.
    static func logLikelihood(_ y: [Double], kind: ETSKind, parameters: ETSParameters) -> Double {
        guard let r = run(y, kind: kind, parameters: parameters) else { return -.infinity }
        return logLikelihood(r, count: y.count)
    }

    static func logLikelihood(_ r: ETSFilterResult, count: Int) -> Double {
        let n = Double(count)
        // A perfect fit (a constant series) would have infinite likelihood; keep it finite.
        let sse = max(r.sumSquaredErrors, Double.leastNormalMagnitude)
        return -0.5 * n * (log(2 * Double.pi * sse / n) + 1) - r.sumLogForecasts
    }
}
