import Foundation

/// Estimation of one ARIMA specification: conditional sum of squares (a nonlinear least-squares
/// problem, solved by Levenberg–Marquardt; Box, Jenkins & Reinsel §7.1) for starting values and
/// for the approximate search, and exact maximum likelihood (BFGS on partial autocorrelations,
/// σ² concentrated out) for the final model.
enum ARIMAEstimation {
    /// Raw coefficients in the order ar, seasonal ar, ma, seasonal ma, constant.
    struct Coefficients {
        var values: [Double]
    }

    /// How the constant enters the differenced series: w = Δ y − constant·effect, because
    /// Δ(β t) = β, Δ_s(β t) = s β and a mean passes through undifferenced.
    static func constantEffect(_ model: ARIMA) -> Double {
        model.order.d + model.seasonalD == 0 ? 1 : Double(model.seasonalD == 1 ? model.period : 1)
    }

    static func split(_ x: [Double], _ model: ARIMA) -> ARIMA.Parameters {
        var i = 0
        func take(_ n: Int) -> [Double] { defer { i += n }; return Array(x[i..<(i + n)]) }
        let ar = take(model.order.p), sar = take(model.seasonalP), ma = take(model.order.q), sma = take(model.seasonalQ)
        let constant: Double? = model.hasConstant ? x[i] : nil
        return ARIMA.Parameters(ar: ar, ma: ma, seasonalAR: sar, seasonalMA: sma, constant: constant, sigma2: 1)
    }

    // MARK: Conditional sum of squares

    /// e_t = w_t − Σ φ*_i w_{t−i} − Σ θ*_j e_{t−j} for t ≥ p*, e = 0 before; writes e into `residuals`.
    /// The AR and MA sums are accumulated apart so the two chains run side by side; for small
    /// orders the lags stay in registers.
    static func conditionalResiduals(_ w: UnsafePointer<Double>, count n: Int, phi: UnsafeBufferPointer<Double>,
                                     theta: UnsafeBufferPointer<Double>, into residuals: UnsafeMutablePointer<Double>) -> Double {
        let p = phi.count, q = theta.count
        var sse = 0.0
        for t in 0..<min(p, n) { residuals[t] = 0 }
        guard p < n else { return 0 }
        if p <= 4 && q <= 4 {
            // Small orders: the lags live in registers (zeros before the start, as the
            // recursion defines), and only θ1·e_{t−1} is on the step-to-step dependency chain.
            var f = (0.0, 0.0, 0.0, 0.0), h = (0.0, 0.0, 0.0, 0.0)
            var w1 = 0.0, w2 = 0.0, w3 = 0.0, w4 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0, e4 = 0.0
            if p > 0 { f.0 = phi[0]; w1 = w[p - 1] }
            if p > 1 { f.1 = phi[1]; w2 = w[p - 2] }
            if p > 2 { f.2 = phi[2]; w3 = w[p - 3] }
            if p > 3 { f.3 = phi[3]; w4 = w[p - 4] }
            if q > 0 { h.0 = theta[0] }
            if q > 1 { h.1 = theta[1] }
            if q > 2 { h.2 = theta[2] }
            if q > 3 { h.3 = theta[3] }
            for t in p..<n {
                let a = w[t] - ((f.0 * w1 + f.1 * w2) + (f.2 * w3 + f.3 * w4))
                let rest = h.1 * e2 + (h.2 * e3 + h.3 * e4)
                let e = (a - rest) - h.0 * e1
                residuals[t] = e
                sse += e * e
                w4 = w3; w3 = w2; w2 = w1; w1 = w[t]
                e4 = e3; e3 = e2; e2 = e1; e1 = e
            }
            return sse
        }
        for t in p..<n {
            var ar = 0.0, ma = 0.0
            for i in 0..<p { ar += phi[i] * w[t - 1 - i] }
            for j in 0..<min(q, t) { ma += theta[j] * residuals[t - 1 - j] }
            let e = w[t] - ar - ma
            residuals[t] = e
            sse += e * e
        }
        return sse
    }

    struct CSSFit {
        var parameters: ARIMA.Parameters
        /// −N/2 (log 2πσ̂² + 1) over the N differenced observations, σ̂² = SSE/(N − p*).
        var logLikelihood: Double
    }

    /// CSS estimate by Levenberg–Marquardt with a forward-difference Jacobian. It gives every
    /// candidate of a model search its start, and was a third of a search's CPU, so its loops
    /// run on raw buffers.
    static func conditionalSumOfSquares(_ model: ARIMA, w0: [Double]) -> CSSFit? {
        let k = model.armaParameterCount + (model.hasConstant ? 1 : 0)
        let effect = constantEffect(model)
        let n = w0.count
        let pStar = model.order.p + model.seasonalP * model.period
        guard n - pStar > k + 1 else { return nil }
        var x = [Double](repeating: 0, count: k)
        if model.hasConstant { x[k - 1] = w0.reduce(0, +) / Double(n) / effect }
        // One block: the shifted series, e, the trial e, the Jacobian (k columns of n).
        var buffer = [Double](repeating: 0, count: (3 + k) * n)
        return buffer.withUnsafeMutableBufferPointer { buffer -> CSSFit? in
            let w = buffer.baseAddress!
            var e = w + n, trial = e + n
            let jac = trial + n
            func residuals(_ x: [Double], _ out: UnsafeMutablePointer<Double>) -> Double {
                let params = split(x, model)
                let shift = (params.constant ?? 0) * effect
                for t in 0..<n { w[t] = w0[t] - shift }
                let phi = ARMAKernel.expandAR(params.ar, params.seasonalAR, period: model.period)
                let theta = ARMAKernel.expandMA(params.ma, params.seasonalMA, period: model.period)
                return phi.withUnsafeBufferPointer { phi in
                    theta.withUnsafeBufferPointer { theta in conditionalResiduals(w, count: n, phi: phi, theta: theta, into: out) }
                }
            }
            var sse = residuals(x, e)
            guard sse.isFinite else { return nil }
            var lambda = 1e-3
            var jtj = [Double](repeating: 0, count: k * k)
            var jte = [Double](repeating: 0, count: k)
            for _ in 0..<50 where k > 0 {
                var xh = x
                for i in 0..<k {
                    let h = 1e-7 * max(1, abs(x[i]))
                    xh[i] = x[i] + h
                    let column = jac + i * n
                    _ = residuals(xh, column)
                    xh[i] = x[i]
                    let inverseH = 1 / h
                    for t in 0..<n { column[t] = (column[t] - e[t]) * inverseH }
                }
                for i in 0..<k {
                    let ci = jac + i * n
                    for j in i..<k {
                        let cj = jac + j * n
                        var s0 = 0.0, s1 = 0.0
                        var t = pStar
                        while t + 1 < n { s0 += ci[t] * cj[t]; s1 += ci[t + 1] * cj[t + 1]; t += 2 }
                        if t < n { s0 += ci[t] * cj[t] }
                        jtj[i * k + j] = s0 + s1; jtj[j * k + i] = s0 + s1
                    }
                    var s = 0.0
                    for t in pStar..<n { s += ci[t] * e[t] }
                    jte[i] = s
                }
                var improved = false
                for _ in 0..<12 {
                    var a = jtj
                    for i in 0..<k { a[i * k + i] += lambda * max(jtj[i * k + i], 1e-12) }
                    guard let step = Cholesky.solve(a, jte.map { -$0 }, k) else { lambda *= 10; continue }
                    let candidate = zip(x, step).map { $0 + $1 }
                    let sseNew = residuals(candidate, trial)
                    if sseNew.isFinite && sseNew < sse {
                        let decrease = sse - sseNew
                        x = candidate; swap(&e, &trial); sse = sseNew
                        lambda = max(lambda / 10, 1e-12)
                        improved = decrease > 1e-10 * sse
                        break
                    }
                    lambda *= 10
                }
                if !improved { break }
            }
            let sigma2 = sse / Double(n - pStar)
            var params = split(x, model)
            params.sigma2 = sigma2
            return CSSFit(parameters: params, logLikelihood: -0.5 * Double(n) * (log(2 * Double.pi * sigma2) + 1))
        }
    }

    // MARK: Exact maximum likelihood

    /// Whether every AR and MA factor has its roots outside the circle of radius `margin`.
    static func isAdmissible(_ p: ARIMA.Parameters, margin: Double = 1) -> Bool {
        ARMAKernel.isStationary(p.ar, margin: margin) && ARMAKernel.isStationary(p.seasonalAR, margin: margin)
            && ARMAKernel.isStationary(p.ma.map { -$0 }, margin: margin)
            && ARMAKernel.isStationary(p.seasonalMA.map { -$0 }, margin: margin)
    }

    /// Maximises the exact likelihood from `start` (CSS when nil). The search runs on
    /// atanh(partial autocorrelations) so every trial point is stationary and invertible.
    /// `polish: false` is the cheaper fit used to rank candidates during a model search
    /// (forward-difference gradients, no restart); the chosen model is then polished.
    static func maximumLikelihood(_ model: ARIMA, y: [Double], start: ARIMA.Parameters?, polish: Bool = true) -> FittedARIMA? {
        let w0 = ARMAKernel.difference(y, d: model.order.d, seasonalD: model.seasonalD, period: model.period)
        let n = w0.count
        guard n > model.parameterCount else { return nil }
        let effect = constantEffect(model)
        var initial = start ?? conditionalSumOfSquares(model, w0: w0)?.parameters
        if let p = initial, !isAdmissible(p, margin: 1.001) { initial = nil }
        let mean = w0.reduce(0, +) / Double(n)
        var scale = (w0.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
        if !(scale > 0) { scale = 1 }
        func unconstrained(_ coefficients: [Double], negate: Bool) -> [Double] {
            let partials = ARMAKernel.partialsFromAR(negate ? coefficients.map { -$0 } : coefficients)
                ?? [Double](repeating: 0, count: coefficients.count)
            return partials.map { atanh(max(-0.995, min(0.995, $0))) }
        }
        func constrained(_ x: ArraySlice<Double>, negate: Bool) -> [Double] {
            let phi = ARMAKernel.arFromPartials(x.map { tanh($0) })
            return negate ? phi.map { -$0 } : phi
        }
        let p = model.order.p, sp = model.seasonalP, q = model.order.q, sq = model.seasonalQ
        let base = initial ?? ARIMA.Parameters(ar: .init(repeating: 0, count: p), ma: .init(repeating: 0, count: q),
                                               seasonalAR: .init(repeating: 0, count: sp),
                                               seasonalMA: .init(repeating: 0, count: sq),
                                               constant: model.hasConstant ? mean / effect : nil, sigma2: 1)
        var x0 = unconstrained(base.ar, negate: false) + unconstrained(base.seasonalAR, negate: false)
            + unconstrained(base.ma, negate: true) + unconstrained(base.seasonalMA, negate: true)
        if model.hasConstant { x0.append((base.constant ?? mean / effect) * effect / scale) }
        func decode(_ x: [Double]) -> ARIMA.Parameters {
            var i = 0
            func next(_ count: Int, negate: Bool) -> [Double] { defer { i += count }; return constrained(x[i..<(i + count)], negate: negate) }
            let ar = next(p, negate: false), sar = next(sp, negate: false)
            let ma = next(q, negate: true), sma = next(sq, negate: true)
            let constant: Double? = model.hasConstant ? x[i] * scale / effect : nil
            return ARIMA.Parameters(ar: ar, ma: ma, seasonalAR: sar, seasonalMA: sma, constant: constant, sigma2: 1)
        }
        var w = [Double](repeating: 0, count: n)
        func objective(_ x: [Double]) -> Double {
            let params = decode(x)
            let shift = (params.constant ?? 0) * effect
            for t in 0..<n { w[t] = w0[t] - shift }
            let phi = ARMAKernel.expandAR(params.ar, params.seasonalAR, period: model.period)
            let theta = ARMAKernel.expandMA(params.ma, params.seasonalMA, period: model.period)
            guard let result = ARMAKernel.filter(w, phi: phi, theta: theta) else { return .infinity }
            return -ARMAKernel.concentratedLogLikelihood(result).logLikelihood / Double(n)
        }
        var best: Minimizer.Result
        if polish {
            best = Minimizer.bfgs(x0, maxIterations: 200, gradientTolerance: 1e-7, valueTolerance: 1e-12, step: 1e-6, objective)
            // One restart from the optimum resets the inverse-Hessian approximation (cheap insurance).
            let again = Minimizer.bfgs(best.x, maxIterations: 100, gradientTolerance: 1e-7, valueTolerance: 1e-12, step: 1e-6, objective)
            if again.value <= best.value { best = again }
        } else {
            best = Minimizer.bfgs(x0, maxIterations: 100, gradientTolerance: 1e-5, valueTolerance: 1e-8, step: 1e-7,
                                  differences: .forward, objective)
        }
        guard best.value.isFinite else { return nil }
        return model.fitted(y, parameters: decode(best.x), concentratingSigma2: true)
    }
}
