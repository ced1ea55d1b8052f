import Foundation

// The posterior of the additive, linear-trend model of Taylor & Letham (2018), "Forecasting at
// scale", §3, on y scaled by max|y| and time scaled to [0, 1]:
//   y(t) = (k + a(t)ᵀδ)·t + (m − a(t)ᵀ(s∘δ)) + X(t)β + ε,   ε ~ N(0, σ²)     (eq. 3–4)
//   k, m ~ N(0, 5²),  δⱼ ~ Laplace(0, τ),  β ~ N(0, s_seas²),  σ ~ N⁺(0, 0.5²).
// The trend is linear in θ = (k, m, δ, β) once written with hinge columns (t − sⱼ)₊, so for a fixed
// σ the negative log posterior is a lasso-type problem in θ (L2 on k, m, β; L1 on δ), and for a
// fixed θ the optimal σ has a closed form. The MAP is found by alternating the two exact block
// minimisations; unlike a quasi-Newton method on the kinked Laplace term it lands on exact zeros.

/// Sufficient statistics of the regression: everything the posterior needs, computed in one pass.
struct ProphetDesign {
    /// Columns: 0 = t, 1 = intercept, then one hinge per changepoint, then the Fourier terms.
    let columnCount: Int
    let changepointColumns: Range<Int>
    let gram: [Double]           // XᵀX, row-major columnCount²
    let crossProduct: [Double]   // Xᵀy
    let sumOfSquares: Double     // yᵀy
    let observations: Int

    init(scaled y: [Double], changepoints: [Double], seasonalities: [ProphetStyle.Seasonality]) {
        let n = y.count
        let fourier = seasonalities.reduce(0) { $0 + 2 * $1.order }
        let p = 2 + changepoints.count + fourier
        columnCount = p
        changepointColumns = 2..<(2 + changepoints.count)
        observations = n
        var gram = [Double](repeating: 0, count: p * p)
        var cross = [Double](repeating: 0, count: p)
        var row = [Double](repeating: 0, count: p)
        var squares = 0.0
        for i in 0..<n {
            ProphetDesign.fillRow(&row, step: i, observations: n, changepoints: changepoints, seasonalities: seasonalities)
            let yi = y[i]
            squares += yi * yi
            for a in 0..<p where row[a] != 0 {
                let ra = row[a]
                cross[a] += ra * yi
                for b in a..<p { gram[a * p + b] += ra * row[b] }
            }
        }
        for a in 0..<p { for b in 0..<a { gram[a * p + b] = gram[b * p + a] } }
        self.gram = gram
        crossProduct = cross
        sumOfSquares = squares
    }

    /// One row of X at step i (time t = i/(n−1)); also used for future steps i ≥ n.
    static func fillRow(_ row: inout [Double], step i: Int, observations n: Int, changepoints: [Double],
                        seasonalities: [ProphetStyle.Seasonality]) {
        let t = Double(i) / Double(n - 1)
        row[0] = t
        row[1] = 1
        var c = 2
        for s in changepoints { row[c] = max(0, t - s); c += 1 }
        for season in seasonalities {
            // Fourier series of eq. 5, with the period in steps; the phase origin does not move the
            // MAP because each sin/cos pair has an isotropic prior.
            for j in 1...season.order {
                let angle = 2 * Double.pi * Double(j) * Double(i) / season.period
                row[c] = sin(angle)
                row[c + 1] = cos(angle)
                c += 2
            }
        }
    }

    func residualSumOfSquares(_ theta: [Double]) -> Double {
        let p = columnCount
        var quadratic = 0.0
        var linear = 0.0
        for a in 0..<p {
            linear += theta[a] * crossProduct[a]
            var row = 0.0
            for b in 0..<p { row += gram[a * p + b] * theta[b] }
            quadratic += theta[a] * row
        }
        return max(0, sumOfSquares - 2 * linear + quadratic)
    }
}

/// Prior scales of the posterior (prophet's documented defaults for k, m and σ are fixed).
struct ProphetPriors {
    let changepointScale: Double   // τ
    let seasonalityScale: Double
    static let trendScale = 5.0    // k, m ~ N(0, 5²)
    static let noiseScale = 0.5    // σ ~ N⁺(0, 0.5²)

    /// Diagonal prior precision of the Gaussian parts of θ (0 for the Laplace-distributed δ).
    func precision(design: ProphetDesign) -> [Double] {
        (0..<design.columnCount).map { j in
            j < 2 ? 1 / (Self.trendScale * Self.trendScale)
                : design.changepointColumns.contains(j) ? 0 : 1 / (seasonalityScale * seasonalityScale)
        }
    }

    /// −log posterior up to a constant, as a function of the residual sum of squares.
    func negativeLogPosterior(residualSumOfSquares ssr: Double, observations n: Int, sigma: Double,
                              k: Double, m: Double, deltas: [Double], betas: [Double]) -> Double {
        var value = ssr / (2 * sigma * sigma) + Double(n) * log(sigma)
        value += sigma * sigma / (2 * Self.noiseScale * Self.noiseScale)
        value += (k * k + m * m) / (2 * Self.trendScale * Self.trendScale)
        value += deltas.reduce(0) { $0 + abs($1) } / changepointScale
        value += betas.reduce(0) { $0 + $1 * $1 } / (2 * seasonalityScale * seasonalityScale)
        return value
    }

    /// The same at a fitted θ and σ of `design` (θ = k, m, δ…, β…).
    func negativeLogPosterior(design: ProphetDesign, estimate: ProphetMAP.Estimate) -> Double {
        let theta = estimate.theta
        return negativeLogPosterior(residualSumOfSquares: design.residualSumOfSquares(theta), observations: design.observations,
                                    sigma: estimate.sigma, k: theta[0], m: theta[1], deltas: Array(theta[design.changepointColumns]),
                                    betas: Array(theta[design.changepointColumns.upperBound...]))
    }
}

enum ProphetMAP {
    struct Estimate {
        var theta: [Double]
        var sigma: Double
    }

    /// Alternates θ | σ (penalised least squares, exact) and σ | θ (closed form) to the joint
    /// mode, starting from σ² of the initial line's residuals.
    static func fit(design: ProphetDesign, priors: ProphetPriors, initial: [Double]) -> Estimate {
        let n = Double(design.observations)
        let precision = priors.precision(design: design)
        var theta = initial
        var sigmaSquared = max(design.residualSumOfSquares(initial) / n, 1e-12)
        for _ in 0..<200 {
            // Multiplying the θ-objective by σ²: ½θᵀ(XᵀX + σ²D)θ − θᵀXᵀy + σ²/τ·Σ|δ|.
            theta = penalisedLeastSquares(design: design, precision: precision, sigmaSquared: sigmaSquared,
                                          l1: sigmaSquared / priors.changepointScale, start: theta)
            // d/dσ [SSR/(2σ²) + n log σ + σ²/(2·0.5²)] = 0  ⇔  4σ⁴ + nσ² − SSR = 0.
            let ssr = design.residualSumOfSquares(theta)
            let a = 1 / (ProphetPriors.noiseScale * ProphetPriors.noiseScale)
            let updated = max((-n + (n * n + 4 * a * ssr).squareRoot()) / (2 * a), 1e-300)
            let change = abs(updated - sigmaSquared) / updated
            sigmaSquared = updated
            if change < 1e-12 { break }
        }
        return Estimate(theta: theta, sigma: sigmaSquared.squareRoot())
    }

    /// argmin ½θᵀAθ − bᵀθ + l1·Σ_{j∈δ}|θⱼ| with A = XᵀX + σ²D, b = Xᵀy, by feature-sign search
    /// (Lee, Battle, Raina & Ng 2007, "Efficient sparse coding algorithms", Alg. 1): guess the
    /// support and signs of δ, solve the resulting linear system exactly, line-search back to
    /// the first sign change, repeat until the optimality conditions hold. Finite, and unlike
    /// coordinate descent not slowed by the strongly correlated hinge columns.
    static func penalisedLeastSquares(design: ProphetDesign, precision: [Double], sigmaSquared: Double,
                                      l1: Double, start: [Double]) -> [Double] {
        let p = design.columnCount
        var a = design.gram
        for j in 0..<p { a[j * p + j] += sigmaSquared * precision[j] }
        let b = design.crossProduct
        let penalised = design.changepointColumns
        let tolerance = 1e-10 * max(1, b.reduce(0) { max($0, abs($1)) })
        func objective(_ x: [Double]) -> Double {
            var value = 0.0
            for i in 0..<p {
                var row = 0.0
                for j in 0..<p { row += a[i * p + j] * x[j] }
                value += x[i] * (0.5 * row - b[i])
            }
            for j in penalised { value += l1 * abs(x[j]) }
            return value
        }
        func gradient(_ x: [Double]) -> [Double] {
            (0..<p).map { i in
                var sum = -b[i]
                for j in 0..<p { sum += a[i * p + j] * x[j] }
                return sum
            }
        }
        var theta = start
        var entering: Int? = nil  // a δ just activated at zero, with the sign of its descent
        var enteringSign = 0.0
        for _ in 0..<(20 * p) {
            let g = gradient(theta)
            if entering == nil {
                // (a) optimality on the support: ∇ⱼ + l1·sign(θⱼ) = 0.
                let supportOptimal = (0..<p).allSatisfy { j in
                    if penalised.contains(j) { return theta[j] == 0 || abs(g[j] + l1 * (theta[j] > 0 ? 1 : -1)) <= tolerance }
                    return abs(g[j]) <= tolerance
                }
                if supportOptimal {
                    // (b) optimality off the support: |∇ⱼ| ≤ l1; otherwise activate the worst δ.
                    var worst: Int? = nil
                    var excess = tolerance
                    for j in penalised where theta[j] == 0 && abs(g[j]) - l1 > excess { worst = j; excess = abs(g[j]) - l1 }
                    guard let j = worst else { return theta }
                    entering = j
                    enteringSign = g[j] > 0 ? -1 : 1
                }
            }
            // Feature-sign step on the support (plus the entering δ).
            let active = (0..<p).filter { !penalised.contains($0) || theta[$0] != 0 || $0 == entering }
            let q = active.count
            var matrix = [Double](repeating: 0, count: q * q)
            var rhs = [Double](repeating: 0, count: q)
            for (r, i) in active.enumerated() {
                for (c, j) in active.enumerated() { matrix[r * q + c] = a[i * p + j] }
                let sign = i == entering ? enteringSign : theta[i] > 0 ? 1 : theta[i] < 0 ? -1 : 0
                rhs[r] = b[i] - (penalised.contains(i) ? l1 * sign : 0)
            }
            entering = nil
            guard let solved = Cholesky.solve(matrix, rhs, q) else { return theta }
            var target = theta
            for (r, i) in active.enumerated() { target[i] = solved[r] }
            // Discrete line search over the target and every point where a δ crosses zero.
            var best = target
            var bestValue = objective(target)
            for i in active where penalised.contains(i) && theta[i] != 0 && (target[i] > 0) != (theta[i] > 0) {
                let fraction = theta[i] / (theta[i] - target[i])
                var point = theta
                for j in active { point[j] = theta[j] + fraction * (target[j] - theta[j]) }
                point[i] = 0
                let value = objective(point)
                if value < bestValue { best = point; bestValue = value }
            }
            if bestValue > objective(theta) { return theta }  // no descent left: at the optimum up to rounding
            theta = best
        }
        return theta
    }
}
