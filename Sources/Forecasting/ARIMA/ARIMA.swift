import Foundation

/// Seasonal ARIMA(p,d,q)(P,D,Q)[s] as a regression on a constant or a drift with ARIMA errors
/// (the convention of R's `arima` and statsmodels' `tsa.arima.model.ARIMA`):
///   y_t = c(t) + u_t,   φ(B)Φ(B^s)(1−B)^d(1−B^s)^D u_t = θ(B)Θ(B^s) ε_t,   ε_t ~ N(0, σ²),
/// with c(t) = μ when d + D = 0 (a mean), c(t) = β·t when d + D = 1 (a drift, t = 1…n), and no
/// constant when d + D ≥ 2 (`includeConstant` is then ignored, as both references do).
/// The likelihood is the exact Gaussian likelihood of the differenced series (Kalman filter,
/// stationary initialisation), which is what a diffuse initialisation of the differenced part
/// gives; stationarity and invertibility are enforced through partial autocorrelations.
public struct ARIMA: ForecastModel {
    public struct Order: Sendable, Codable, Equatable, Hashable {
        public var p: Int, d: Int, q: Int
        public init(_ p: Int, _ d: Int, _ q: Int) {
            precondition(p >= 0 && d >= 0 && q >= 0, "ARIMA orders are non-negative")
            self.p = p; self.d = d; self.q = q
        }
    }

    public struct SeasonalOrder: Sendable, Codable, Equatable, Hashable {
        public var p: Int, d: Int, q: Int
        public var period: Int
        public init(_ p: Int, _ d: Int, _ q: Int, period: Int) {
            precondition(p >= 0 && d >= 0 && q >= 0 && period >= 2, "seasonal orders are non-negative and the period at least 2")
            self.p = p; self.d = d; self.q = q; self.period = period
        }
    }

    /// Coefficients in the sign convention φ(B) = 1 − Σφ_i B^i, θ(B) = 1 + Σθ_j B^j.
    /// `constant` is the mean (d + D = 0) or the drift per step (d + D = 1), nil without one.
    public struct Parameters: Sendable, Codable, Equatable {
        public var ar: [Double]
        public var ma: [Double]
        public var seasonalAR: [Double]
        public var seasonalMA: [Double]
        public var constant: Double?
        public var sigma2: Double
        public init(ar: [Double] = [], ma: [Double] = [], seasonalAR: [Double] = [], seasonalMA: [Double] = [],
                    constant: Double? = nil, sigma2: Double) {
            self.ar = ar; self.ma = ma; self.seasonalAR = seasonalAR; self.seasonalMA = seasonalMA
            self.constant = constant; self.sigma2 = sigma2
        }
    }

    public let order: Order
    public let seasonal: SeasonalOrder?
    public let includeConstant: Bool
    /// How `fit` gets the coefficients.
    public enum Estimation: Sendable, Equatable {
        /// Exact maximum likelihood from the CSS estimate.
        case maximumLikelihood
        /// Kept as given: `fit` only runs the filter over the new data (a deployed model between
        /// refits; the backtest's later origins).
        case fixed(Parameters)
    }
    public var estimation = Estimation.maximumLikelihood
    public var name: String { "arima" }

    public init(order: Order, seasonal: SeasonalOrder? = nil, includeConstant: Bool) {
        self.order = order
        self.seasonal = seasonal
        self.includeConstant = includeConstant
    }

    var period: Int { seasonal?.period ?? 1 }
    var seasonalP: Int { seasonal?.p ?? 0 }
    var seasonalD: Int { seasonal?.d ?? 0 }
    var seasonalQ: Int { seasonal?.q ?? 0 }
    var differencingLength: Int { order.d + seasonalD * period }
    /// The constant is estimated only where the references allow one: d + D ≤ 1.
    var hasConstant: Bool { includeConstant && order.d + seasonalD <= 1 }
    var armaParameterCount: Int { order.p + order.q + seasonalP + seasonalQ }
    /// Estimated parameters including σ² (the count the AIC of both references uses).
    var parameterCount: Int { armaParameterCount + (hasConstant ? 1 : 0) + 1 }
    var minimumLength: Int { differencingLength + max(order.p + seasonalP * period, order.q + seasonalQ * period) + parameterCount + 1 }

    public func fit(_ y: [Double]) throws -> FittedARIMA {
        try validateSeries(y, model: name, minimum: minimumLength)
        if case .fixed(let parameters) = estimation {
            guard let fitted = fitted(y, parameters: parameters) else {
                throw ForecastError.fitFailed(model: name, reason: "the fixed coefficients of \(specDescription) do not fit this series")
            }
            return fitted
        }
        guard let fitted = ARIMAEstimation.maximumLikelihood(self, y: y, start: nil) else {
            throw ForecastError.fitFailed(model: name, reason: "the likelihood could not be maximised for \(specDescription)")
        }
        return fitted
    }

    /// c(t) for t = 1…n (1-based time, as statsmodels' trend offset 1 and R's drift regressor).
    func trend(_ t: Int, constant: Double?) -> Double {
        guard hasConstant, let constant else { return 0 }
        return order.d + seasonalD == 0 ? constant : constant * Double(t)
    }

    /// w = (1−B)^d (1−B^s)^D (y − c(t)), the stationary ARMA part.
    func stationaryPart(_ y: [Double], constant: Double?) -> [Double] {
        let u = hasConstant ? y.enumerated().map { $0.element - trend($0.offset + 1, constant: constant) } : y
        return ARMAKernel.difference(u, d: order.d, seasonalD: seasonalD, period: period)
    }

    /// Exact Gaussian log-likelihood at the given parameters (nil outside the admissible region).
    func logLikelihood(_ y: [Double], parameters: Parameters) -> Double? {
        fitted(y, parameters: parameters)?.logLikelihood
    }

    /// The fitted model at given parameters (no estimation): filter state for forecasting, and
    /// the log-likelihood at those parameters. With `concentratingSigma2`, σ² is replaced by its
    /// maximum-likelihood value given the coefficients (the filter runs with σ² = 1 either way).
    func fitted(_ y: [Double], parameters: Parameters, concentratingSigma2: Bool = false) -> FittedARIMA? {
        let w = stationaryPart(y, constant: parameters.constant)
        let phi = ARMAKernel.expandAR(parameters.ar, parameters.seasonalAR, period: period)
        let theta = ARMAKernel.expandMA(parameters.ma, parameters.seasonalMA, period: period)
        guard let result = ARMAKernel.filter(w, phi: phi, theta: theta) else { return nil }
        var parameters = parameters
        if concentratingSigma2 { parameters.sigma2 = ARMAKernel.concentratedLogLikelihood(result).sigma2 }
        let n = y.count
        let lastLevels = (0..<differencingLength).map { j in y[n - 1 - j] - trend(n - j, constant: parameters.constant) }
        return FittedARIMA(order: order, seasonalOrder: seasonal, hasConstant: hasConstant, parameters: parameters,
                           logLikelihood: ARMAKernel.logLikelihood(result, sigma2: parameters.sigma2),
                           observationCount: n, effectiveCount: w.count, parameterCount: parameterCount,
                           state: result.state, stateCovariance: result.covariance, lastLevels: lastLevels)
    }

    var specDescription: String {
        FittedARIMA.describe(order: order, seasonal: seasonal, hasConstant: hasConstant)
    }
}

/// A fitted ARIMA: parameters, fit statistics, and the filter state at the end of the series
/// (the predicted ARMA state and the last d + sD levels), which is all forecasting needs.
public struct FittedARIMA: FittedModel {
    public static let stateVersion = 1
    public let order: ARIMA.Order
    public let seasonalOrder: ARIMA.SeasonalOrder?
    public let hasConstant: Bool
    public let parameters: ARIMA.Parameters
    public let logLikelihood: Double
    /// n, and n − d − sD: the number of observations the likelihood is over.
    public let observationCount: Int
    public let effectiveCount: Int
    /// Estimated parameters including σ².
    public let parameterCount: Int
    let state: [Double]
    let stateCovariance: [Double]
    /// u_n, u_{n−1}, …: the last d + sD observations minus the drift, most recent first.
    let lastLevels: [Double]

    public var sigma2: Double { parameters.sigma2 }
    public var aic: Double { -2 * logLikelihood + 2 * Double(parameterCount) }
    /// AICc = AIC + 2k(k+1)/(n* − k − 1), n* = n − d − sD (as R's forecast and statsmodels).
    public var aicc: Double {
        let k = Double(parameterCount), n = Double(effectiveCount)
        return n - k - 1 > 0 ? aic + 2 * k * (k + 1) / (n - k - 1) : .infinity
    }
    public var bic: Double { -2 * logLikelihood + log(Double(effectiveCount)) * Double(parameterCount) }

    public var spec: String { Self.describe(order: order, seasonal: seasonalOrder, hasConstant: hasConstant) }

    static func describe(order: ARIMA.Order, seasonal: ARIMA.SeasonalOrder?, hasConstant: Bool) -> String {
        var text = "ARIMA(\(order.p),\(order.d),\(order.q))"
        if let s = seasonal { text += "(\(s.p),\(s.d),\(s.q))[\(s.period)]" }
        if hasConstant { text += order.d + (seasonal?.d ?? 0) == 0 ? " with non-zero mean" : " with drift" }
        return text
    }

    var model: ARIMA { ARIMA(order: order, seasonal: seasonalOrder, includeConstant: hasConstant) }

    /// Forecasts by the Kalman prediction equations on the state augmented with the last d + sD
    /// levels, u_t = x_t[0] + Σ c_j u_{t−j} (Durbin & Koopman 2012 §3.4), so the variances
    /// account for the state uncertainty at the end of the sample exactly.
    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        let model = self.model
        let phi = ARMAKernel.expandAR(parameters.ar, parameters.seasonalAR, period: model.period)
        let theta = ARMAKernel.expandMA(parameters.ma, parameters.seasonalMA, period: model.period)
        let c = ARMAKernel.differencingCoefficients(d: order.d, seasonalD: model.seasonalD, period: model.period)
        let r = state.count, nd = c.count, m = r + nd
        var rvec = [Double](repeating: 0, count: r)
        rvec[0] = 1
        for j in 0..<theta.count { rvec[j + 1] = theta[j] }
        var t = [Double](repeating: 0, count: m * m)
        for i in 0..<phi.count { t[i * m] = phi[i] }
        for i in 0..<(r - 1) { t[i * m + i + 1] = 1 }
        if nd > 0 {
            t[r * m] = 1
            for j in 0..<nd { t[r * m + r + j] = c[j] }
            for j in 1..<nd { t[(r + j) * m + r + j - 1] = 1 }
        }
        var z = [Double](repeating: 0, count: m)
        z[0] = 1
        for j in 0..<nd { z[r + j] = c[j] }
        var a = state + lastLevels
        var p = [Double](repeating: 0, count: m * m)
        for i in 0..<r { for j in 0..<r { p[i * m + j] = stateCovariance[i * r + j] } }
        var mean = [Double](), sd = [Double]()
        var tp = [Double](repeating: 0, count: m * m)
        for h in 1...max(horizon, 1) {
            var value = 0.0
            for i in 0..<m { value += z[i] * a[i] }
            var variance = 0.0
            for i in 0..<m { for j in 0..<m { variance += z[i] * p[i * m + j] * z[j] } }
            mean.append(value + model.trend(observationCount + h, constant: parameters.constant))
            sd.append((max(variance, 0) * parameters.sigma2).squareRoot())
            // a ← T a ; P ← T P Tᵀ + blockdiag(R Rᵀ, 0)
            var next = [Double](repeating: 0, count: m)
            for i in 0..<m { var s = 0.0; for k in 0..<m { s += t[i * m + k] * a[k] }; next[i] = s }
            a = next
            for i in 0..<m { for j in 0..<m { var s = 0.0; for k in 0..<m { s += t[i * m + k] * p[k * m + j] }; tp[i * m + j] = s } }
            for i in 0..<m {
                for j in 0..<m {
                    var s = 0.0
                    for k in 0..<m { s += tp[i * m + k] * t[j * m + k] }
                    p[i * m + j] = s + (i < r && j < r ? rvec[i] * rvec[j] : 0)
                }
            }
        }
        if horizon <= 0 { return Forecast(mean: [], intervals: levels.map { .init(level: $0, lower: [], upper: []) }) }
        return Forecast.gaussian(mean: mean, sd: sd, levels: levels)
    }
}

extension FittedARIMA: UpdatableModel {
    /// Runs the Kalman filter on from the stored end-of-sample state over the newer
    /// observations, coefficients and σ² unchanged: the same state a fit with these fixed
    /// coefficients over the whole longer series ends in. Fit statistics stay those of the fit.
    public func updated(with newer: [Double]) throws -> FittedARIMA {
        try validateNewer(newer, model: "arima")
        guard !newer.isEmpty else { return self }
        let model = self.model
        let c = ARMAKernel.differencingCoefficients(d: order.d, seasonalD: model.seasonalD, period: model.period)
        // w_t = u_t − Σ c_j u_{t−j}, with u = y − c(t) and the last levels most recent first.
        var levels = lastLevels
        var w: [Double] = []
        w.reserveCapacity(newer.count)
        for (offset, value) in newer.enumerated() {
            let u = value - model.trend(observationCount + offset + 1, constant: parameters.constant)
            var differenced = u
            for j in 0..<c.count { differenced -= c[j] * levels[j] }
            w.append(differenced)
            if !levels.isEmpty {
                levels.removeLast()
                levels.insert(u, at: 0)
            }
        }
        let phi = ARMAKernel.expandAR(parameters.ar, parameters.seasonalAR, period: model.period)
        let theta = ARMAKernel.expandMA(parameters.ma, parameters.seasonalMA, period: model.period)
        guard let result = ARMAKernel.filter(w, phi: phi, theta: theta, start: (state, stateCovariance)) else {
            throw ForecastError.fitFailed(model: "arima", reason: "the stored state of \(spec) could not take the newer observations")
        }
        return FittedARIMA(order: order, seasonalOrder: seasonalOrder, hasConstant: hasConstant, parameters: parameters,
                           logLikelihood: logLikelihood, observationCount: observationCount + newer.count,
                           effectiveCount: effectiveCount + newer.count, parameterCount: parameterCount,
                           state: result.state, stateCovariance: result.covariance, lastLevels: levels)
    }
}
