import Foundation

// Numerical kernels of ARIMA: polynomial algebra, the stationarity transform and the exact
// Gaussian likelihood of a stationary ARMA through a Kalman filter. Plain functions on arrays.

enum ARMAKernel {
    /// Coefficients of φ(B)Φ(B^s) written as 1 − Σ φ*_i B^i; returns φ* (length p + sP).
    static func expandAR(_ ar: [Double], _ seasonalAR: [Double], period: Int) -> [Double] {
        let product = multiply(ar.map { -$0 }, seasonalAR.map { -$0 }, period: period)
        return product.map { -$0 }
    }

    /// Coefficients of θ(B)Θ(B^s) written as 1 + Σ θ*_i B^i; returns θ* (length q + sQ).
    static func expandMA(_ ma: [Double], _ seasonalMA: [Double], period: Int) -> [Double] {
        multiply(ma, seasonalMA, period: period)
    }

    /// (1 + Σ a_i B^i)(1 + Σ b_j B^{sj}) without the leading 1.
    private static func multiply(_ a: [Double], _ b: [Double], period: Int) -> [Double] {
        let degree = a.count + b.count * period
        guard degree > 0 else { return [] }
        var c = [Double](repeating: 0, count: degree + 1)
        let full = [1.0] + a
        for (i, ai) in full.enumerated() {
            c[i] += ai
            for (j, bj) in b.enumerated() { c[i + (j + 1) * period] += ai * bj }
        }
        return Array(c[1...])
    }

    /// Coefficients c of (1−B)^d (1−B^s)^D = 1 − Σ c_j B^j, so that u_t = Σ c_j u_{t−j} + w_t.
    static func differencingCoefficients(d: Int, seasonalD: Int, period: Int) -> [Double] {
        var poly = [1.0]
        func times(_ lag: Int) {
            var next = [Double](repeating: 0, count: poly.count + lag)
            for (i, v) in poly.enumerated() { next[i] += v; next[i + lag] -= v }
            poly = next
        }
        for _ in 0..<d { times(1) }
        for _ in 0..<seasonalD { times(period) }
        return poly.dropFirst().map { -$0 }
    }

    /// Applies (1−B)^d (1−B^s)^D; the result is shorter by d + sD.
    static func difference(_ y: [Double], d: Int, seasonalD: Int, period: Int) -> [Double] {
        var x = y
        for _ in 0..<d { x = x.count > 1 ? (1..<x.count).map { x[$0] - x[$0 - 1] } : [] }
        for _ in 0..<seasonalD { x = x.count > period ? (period..<x.count).map { x[$0] - x[$0 - period] } : [] }
        return x
    }

    // MARK: Stationarity through partial autocorrelations (Barndorff-Nielsen & Schou 1973;
    // Jones 1980; Monahan 1984): any r ∈ (−1, 1)^p maps by the Durbin–Levinson recursion to the
    // coefficients of a stationary AR(p), and back.

    /// Partial autocorrelations → AR coefficients φ (1 − Σ φ_i B^i stationary).
    static func arFromPartials(_ r: [Double]) -> [Double] {
        var phi = [Double]()
        for (k, rk) in r.enumerated() {
            var next = phi
            for i in 0..<k { next[i] = phi[i] - rk * phi[k - 1 - i] }
            next.append(rk)
            phi = next
        }
        return phi
    }

    /// AR coefficients → partial autocorrelations (step-down recursion); nil if not stationary.
    static func partialsFromAR(_ phi: [Double]) -> [Double]? {
        var a = phi
        var r = [Double](repeating: 0, count: phi.count)
        var k = phi.count
        while k > 0 {
            let rk = a[k - 1]
            guard abs(rk) < 1, rk.isFinite else { return nil }
            r[k - 1] = rk
            let scale = 1 - rk * rk
            var next = [Double](repeating: 0, count: k - 1)
            for i in 0..<(k - 1) { next[i] = (a[i] + rk * a[k - 2 - i]) / scale }
            a = next
            k -= 1
        }
        return r
    }

    /// All roots of 1 − Σ φ_i z^i lie outside the circle of radius `margin` (φ_i·margin^i is stationary).
    static func isStationary(_ phi: [Double], margin: Double = 1) -> Bool {
        var scale = 1.0
        return partialsFromAR(phi.map { scale *= margin; return $0 * scale }) != nil
    }

    // MARK: Exact likelihood (Harvey 1989 §3.3; Durbin & Koopman 2012 §3.4 for the ARMA form)
    //
    // State x_t ∈ R^r, r = max(p, q+1):  w_t = x_t[0],  x_{t+1} = T x_t + R ε_{t+1},
    // T has φ in its first column and ones on the superdiagonal, R = (1, θ_1, …, θ_{r−1}).
    // The filter runs with σ² = 1; σ² scales every F_t, so it is concentrated out or applied after.

    struct FilterResult {
        /// Σ v_t²/F_t and Σ log F_t with σ² = 1.
        var sumSquares: Double
        var sumLogF: Double
        var count: Int
        /// Predicted state x_{N+1|N} and its covariance (σ² = 1), for forecasting.
        var state: [Double]
        var covariance: [Double]
    }

    /// Stationary state covariance P = T P Tᵀ + R Rᵀ by doubling (Anderson & Moore 1979):
    /// S ← S + A S Aᵀ, A ← A², which sums 2^k terms of Σ T^j R Rᵀ T^jᵀ after k steps.
    static func stationaryCovariance(phi: [Double], theta: [Double], r: Int) -> [Double] {
        var rvec = [Double](repeating: 0, count: r)
        rvec[0] = 1
        for j in 0..<min(theta.count, r - 1) { rvec[j + 1] = theta[j] }
        var s = [Double](repeating: 0, count: r * r)
        for i in 0..<r { for j in 0..<r { s[i * r + j] = rvec[i] * rvec[j] } }
        var a = [Double](repeating: 0, count: r * r)
        for i in 0..<phi.count { a[i * r] = phi[i] }
        for i in 0..<(r - 1) { a[i * r + i + 1] = 1 }
        var tmp = [Double](repeating: 0, count: r * r)
        var tmp2 = [Double](repeating: 0, count: r * r)
        for _ in 0..<80 {
            var norm = 0.0
            for v in a { norm = max(norm, abs(v)) }
            if norm < 1e-300 { break }
            // tmp = A S, tmp2 = tmp Aᵀ
            matmul(a, s, &tmp, r)
            matmulTransposed(tmp, a, &tmp2, r)
            var change = 0.0
            var size = 0.0
            for i in 0..<(r * r) { s[i] += tmp2[i]; change = max(change, abs(tmp2[i])); size = max(size, abs(s[i])) }
            if !size.isFinite { return s }
            matmul(a, a, &tmp, r)
            swap(&a, &tmp)
            if change <= 1e-17 * size { break }
        }
        return s
    }

    private static func matmul(_ a: [Double], _ b: [Double], _ c: inout [Double], _ n: Int) {
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<n { sum += a[i * n + k] * b[k * n + j] }
                c[i * n + j] = sum
            }
        }
    }

    private static func matmulTransposed(_ a: [Double], _ b: [Double], _ c: inout [Double], _ n: Int) {
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<n { sum += a[i * n + k] * b[j * n + k] }
                c[i * n + j] = sum
            }
        }
    }

    /// Kalman filter of a zero-mean stationary ARMA on w (Harvey form above), from the
    /// stationary distribution or, with `start`, from a predicted state and its covariance left
    /// by an earlier pass (a stored model taking newer data). Returns nil when the initial
    /// covariance is not finite (non-stationary φ) or a prediction variance vanishes.
    ///
    /// The covariance step is cheap because w_t is the first state element, observed without
    /// noise: the filtered covariance P − P e1 e1ᵀ P / F has a zero first row and column, so
    /// T (·) Tᵀ only shifts it and φ drops out: P'_ij = P_{i+1,j+1} − P_{i+1,0} P_{j+1,0} / F + R_i R_j
    /// (entries past r − 1 are zero). Once P stops changing (it converges for an invertible MA)
    /// the gain is fixed and only the state is updated. This is the inner loop of every ARIMA
    /// fit, so it runs on raw buffers.
    static func filter(_ w: [Double], phi: [Double], theta: [Double], start: (state: [Double], covariance: [Double])? = nil) -> FilterResult? {
        let r = max(phi.count, theta.count + 1)
        if let start, start.state.count != r || start.covariance.count != r * r { return nil }
        var p = start?.covariance ?? stationaryCovariance(phi: phi, theta: theta, r: r)
        guard p.allSatisfy({ $0.isFinite }) else { return nil }
        var rvec = [Double](repeating: 0, count: r)
        rvec[0] = 1
        for j in 0..<theta.count { rvec[j + 1] = theta[j] }
        var phiFull = [Double](repeating: 0, count: r)
        for i in 0..<phi.count { phiFull[i] = phi[i] }
        var x = start?.state ?? [Double](repeating: 0, count: r)
        var scratch = [Double](repeating: 0, count: r * r + r)  // the next P, the steady gain
        var sumSquares = 0.0
        var sumLogF = 0.0
        var steady = false
        var steadyF = 1.0
        var steadySteps = 0  // their log F is added once, at the end
        var steadySquares = 0.0  // and their Σ v² divided by F once: a division per step would dominate the steady loop
        var productF = 1.0  // Π F_t, logged when large: a log per step cost more than the covariance step
        let ok: Bool = w.withUnsafeBufferPointer { w in
            p.withUnsafeMutableBufferPointer { p in
                x.withUnsafeMutableBufferPointer { x in
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        phiFull.withUnsafeBufferPointer { phi in
                            rvec.withUnsafeBufferPointer { rv in
                                var current = p.baseAddress!, next = scratch.baseAddress!
                                let gain = next + r * r
                                var t = 0
                                while t < w.count && !steady {
                                    let v = w[t] - x[0]
                                    let f = current[0]
                                    guard f > 0, f.isFinite else { return false }
                                    let inverseF = 1 / f
                                    sumSquares += v * v * inverseF
                                    productF *= f
                                    if productF > 1e100 { sumLogF += log(productF); productF = 1 }
                                    for i in 0..<r { x[i] += current[i * r] * v * inverseF }
                                    var change = 0.0
                                    for i in 0..<r {
                                        let below = i + 1 < r ? current[(i + 1) * r] * inverseF : 0
                                        for j in i..<r {
                                            var value = rv[i] * rv[j]
                                            if j + 1 < r { value += current[(i + 1) * r + j + 1] - below * current[(j + 1) * r] }
                                            let moved = abs(value - current[i * r + j])
                                            if moved > change { change = moved }
                                            next[i * r + j] = value
                                            next[j * r + i] = value
                                        }
                                    }
                                    swap(&current, &next)
                                    if change < 1e-12 * current[0] {
                                        steady = true
                                        steadyF = current[0]
                                        guard steadyF > 0, steadyF.isFinite else { return false }
                                        for i in 0..<r { gain[i] = current[i * r] / steadyF }
                                    }
                                    predict(x, phi)
                                    t += 1
                                }
                                if steady && t < w.count {
                                    steadySteps = w.count - t
                                    steadySquares = steadyInnovations(w, from: t, state: x, gain: UnsafePointer(gain), phi: phi)
                                }
                                // The last P is in whichever buffer the steps ended on.
                                if current != p.baseAddress! { p.baseAddress!.update(from: current, count: r * r) }
                                return true
                            }
                        }
                    }
                }
            }
        }
        guard ok else { return nil }
        sumLogF += log(productF)
        if steadySteps > 0 {
            sumLogF += Double(steadySteps) * log(steadyF)
            sumSquares += steadySquares / steadyF
        }
        return FilterResult(sumSquares: sumSquares, sumLogF: sumLogF, count: w.count, state: x, covariance: p)
    }

    /// The filter once its gain is fixed: x ← T (x + k v), returning Σ v² (F is constant) and
    /// leaving the last predicted state in `state`. Most steps of a fit run here; for r ≤ 4 the
    /// state stays in one SIMD register instead of making a round trip through memory per step.
    private static func steadyInnovations(_ w: UnsafeBufferPointer<Double>, from start: Int, state x: UnsafeMutableBufferPointer<Double>,
                                          gain: UnsafePointer<Double>, phi: UnsafeBufferPointer<Double>) -> Double {
        let r = x.count
        var squares = 0.0
        guard r <= 4 else {
            for t in start..<w.count {
                let v = w[t] - x[0]
                squares += v * v
                for i in 0..<r { x[i] += gain[i] * v }
                predict(x, phi)
            }
            return squares
        }
        var s = SIMD4<Double>(), k = SIMD4<Double>(), f = SIMD4<Double>()
        for i in 0..<r { s[i] = x[i]; k[i] = gain[i]; f[i] = phi[i] }
        for t in start..<w.count {
            let v = w[t] - s[0]
            squares += v * v
            let u = s + k * v
            s = f * u[0] + SIMD4(u[1], u[2], u[3], 0)
        }
        for i in 0..<r { x[i] = s[i] }
        return squares
    }

    /// x ← T x: φ in the first column, ones on the superdiagonal.
    @inline(__always)
    private static func predict(_ x: UnsafeMutableBufferPointer<Double>, _ phi: UnsafeBufferPointer<Double>) {
        let r = x.count, first = x[0]
        for i in 0..<(r - 1) { x[i] = phi[i] * first + x[i + 1] }
        x[r - 1] = phi[r - 1] * first
    }

    /// Gaussian log-likelihood at σ² from a filter pass.
    static func logLikelihood(_ result: FilterResult, sigma2: Double) -> Double {
        -0.5 * (Double(result.count) * log(2 * Double.pi * sigma2) + result.sumLogF + result.sumSquares / sigma2)
    }

    /// Log-likelihood with σ² at its maximum, σ̂² = Σ v²/F / N.
    static func concentratedLogLikelihood(_ result: FilterResult) -> (logLikelihood: Double, sigma2: Double) {
        let n = Double(result.count)
        let sigma2 = result.sumSquares / n
        return (-0.5 * (n * (log(2 * Double.pi * sigma2) + 1) + result.sumLogF), sigma2)
    }
}
