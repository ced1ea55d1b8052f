import Foundation

/// Unconstrained minimisation of smooth objectives of a few dozen parameters (likelihoods).
/// Constraints are the caller's job, through reparametrisation (e.g. a logistic map onto an
/// interval). A non-finite objective value is treated as +infinity, so a caller can return
/// `.infinity` outside its admissible region.
public enum Minimizer {
    public struct Result: Sendable {
        public let x: [Double]
        public let value: Double
        public let iterations: Int
        public let converged: Bool
    }

    /// How gradients are approximated when none is given: central differences (2 evaluations
    /// per coordinate, error O(h²)) or forward differences from the known f(x) (1 evaluation,
    /// error O(h); half the cost, enough to rank candidate models).
    public enum Differences: Sendable { case central, forward }

    /// BFGS with finite-difference gradients (Nocedal & Wright, Algorithm 6.1) and a
    /// backtracking Armijo line search. Stops when the gradient's max-norm falls below
    /// `gradientTolerance` or the relative decrease of f falls below `valueTolerance`.
    public static func bfgs(_ x0: [Double], maxIterations: Int = 200, gradientTolerance: Double = 1e-6,
                            valueTolerance: Double = 1e-10, step: Double = 1e-6, differences: Differences = .central,
                            gradient: (([Double]) -> [Double])? = nil,
                            _ f: ([Double]) -> Double) -> Result {
        let n = x0.count
        func objective(_ x: [Double]) -> Double { let v = f(x); return v.isFinite ? v : .infinity }
        func grad(_ x: [Double], _ fx: Double) -> [Double] {
            if let gradient { return gradient(x) }
            return numericalGradient(x, value: fx, differences: differences, step: step, objective)
        }
        var x = x0
        var fx = objective(x)
        guard n > 0, fx.isFinite else { return Result(x: x, value: fx, iterations: 0, converged: n == 0) }
        var g = grad(x, fx)
        var inverseHessian = identity(n)
        var iteration = 0
        var converged = false
        while iteration < maxIterations {
            iteration += 1
            if g.allSatisfy({ abs($0) < gradientTolerance }) { converged = true; break }
            var direction = multiply(inverseHessian, g).map { -$0 }
            var slope = dot(direction, g)
            if slope >= 0 {  // not a descent direction: restart from steepest descent
                inverseHessian = identity(n)
                direction = g.map { -$0 }
                slope = dot(direction, g)
            }
            var alpha = 1.0
            var candidate = x
            var fCandidate = Double.infinity
            for _ in 0..<40 {
                for i in 0..<n { candidate[i] = x[i] + alpha * direction[i] }
                fCandidate = objective(candidate)
                if fCandidate <= fx + 1e-4 * alpha * slope { break }
                alpha *= 0.5
            }
            guard fCandidate < fx else { converged = true; break }  // no progress along any step
            let gNew = grad(candidate, fCandidate)
            let s = zip(candidate, x).map { $0 - $1 }
            let yk = zip(gNew, g).map { $0 - $1 }
            let decrease = fx - fCandidate
            x = candidate
            g = gNew
            let previous = fx
            fx = fCandidate
            let sy = dot(s, yk)
            if sy > 1e-12 {
                // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
                let rho = 1 / sy
                let hy = multiply(inverseHessian, yk)
                let yhy = dot(yk, hy)
                for i in 0..<n {
                    for j in 0..<n {
                        inverseHessian[i][j] += rho * ((1 + rho * yhy) * s[i] * s[j] - hy[i] * s[j] - s[i] * hy[j])
                    }
                }
            }
            if decrease <= valueTolerance * max(1, abs(previous)) { converged = true; break }
        }
        return Result(x: x, value: fx, iterations: iteration, converged: converged)
    }

    /// Nelder–Mead simplex (Lagarias et al. 1998 coefficients), for objectives that are not
    /// smooth enough for gradients. `scale` sets the initial simplex size per coordinate.
    public static func nelderMead(_ x0: [Double], scale: Double = 0.1, maxEvaluations: Int = 2000,
                                  tolerance: Double = 1e-8, _ f: ([Double]) -> Double) -> Result {
        let n = x0.count
        func objective(_ x: [Double]) -> Double { let v = f(x); return v.isFinite ? v : .infinity }
        var simplex = [x0]
        for i in 0..<n {
            var vertex = x0
            vertex[i] += vertex[i] == 0 ? scale : scale * max(1, abs(vertex[i]))
            simplex.append(vertex)
        }
        var values = simplex.map(objective)
        var evaluations = n + 1
        var iterations = 0
        while evaluations < maxEvaluations {
            iterations += 1
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * max(1, abs(values[0])) { break }
            var centroid = [Double](repeating: 0, count: n)
            for vertex in simplex[0..<n] { for i in 0..<n { centroid[i] += vertex[i] / Double(n) } }
            func point(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let reflected = point(-1)
            let fr = objective(reflected); evaluations += 1
            if fr < values[0] {
                let expanded = point(-2)
                let fe = objective(expanded); evaluations += 1
                if fe < fr { simplex[n] = expanded; values[n] = fe } else { simplex[n] = reflected; values[n] = fr }
            } else if fr < values[n - 1] {
                simplex[n] = reflected; values[n] = fr
            } else {
                let contracted = fr < values[n] ? point(-0.5) : point(0.5)
                let fc = objective(contracted); evaluations += 1
                if fc < min(fr, values[n]) {
                    simplex[n] = contracted; values[n] = fc
                } else {
                    for k in 1...n {
                        simplex[k] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[k][$0] - simplex[0][$0]) }
                        values[k] = objective(simplex[k])
                    }
                    evaluations += n
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return Result(x: simplex[best], value: values[best], iterations: iterations, converged: evaluations < maxEvaluations)
    }

    /// Finite-difference gradient from a known f(x), with a step relative to each coordinate's
    /// size. A step that leaves the admissible region (f not finite there) is taken one-sided
    /// the other way, and a coordinate with neither side admissible gets 0.
    public static func numericalGradient(_ x: [Double], value fx: Double, differences: Differences = .central, step: Double = 1e-6,
                                         _ f: ([Double]) -> Double) -> [Double] {
        var point = x
        var gradient = [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let h = step * max(1, abs(x[i]))
            point[i] = x[i] + h
            let up = f(point)
            if differences == .forward && up.isFinite {
                gradient[i] = (up - fx) / h
            } else {
                point[i] = x[i] - h
                let down = f(point)
                if up.isFinite && down.isFinite {
                    gradient[i] = (up - down) / (2 * h)
                } else {
                    gradient[i] = up.isFinite ? (up - fx) / h : down.isFinite ? (fx - down) / h : 0
                }
            }
            point[i] = x[i]
        }
        return gradient
    }

    private static func identity(_ n: Int) -> [[Double]] {
        (0..<n).map { i in (0..<n).map { $0 == i ? 1 : 0 } }
    }

    private static func multiply(_ m: [[Double]], _ v: [Double]) -> [Double] {
        m.map { row in dot(row, v) }
    }

    private static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in 0..<a.count { sum += a[i] * b[i] }
        return sum
    }
}
