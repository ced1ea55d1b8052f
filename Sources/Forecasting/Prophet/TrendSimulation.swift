import Foundation

// Trend uncertainty of Taylor & Letham (2018) §3.1.4: future rate changes arrive at the
// historical frequency (S changepoints per unit of scaled time) with Laplace(0, λ) sizes,
// λ = mean |δ| of the fit. The observation noise is then integrated exactly: at each step the
// predictive distribution is the equal-weight mixture of N(trend sample, σ²), whose quantiles are
// solved for directly instead of adding sampled noise (Rao–Blackwellisation: no Monte Carlo error
// from the noise, which dominates at short horizons).
enum TrendSimulation {
    /// deviations[h][s]: sample s's departure from the MAP trend at step n−1+h+1 (scaled axes).
    /// Each sample has its own seeded generator and draws step by step, so the draws are
    /// deterministic and a shorter horizon gives a prefix of a longer one.
    static func futureTrendDeviations(horizon: Int, observations n: Int, changepointCount: Int,
                                      meanAbsoluteChange: Double, samples: Int) -> [[Double]] {
        var deviations = [[Double]](repeating: [Double](repeating: 0, count: samples), count: horizon)
        guard changepointCount > 0, meanAbsoluteChange > 0 else { return deviations }
        let dt = 1 / Double(n - 1)
        let expectedPerStep = Double(changepointCount) * dt
        let noChange = exp(-expectedPerStep)
        for s in 0..<samples {
            var generator = SplitMix64(seed: 0x5EED_0F_9A0_9E7 ^ (UInt64(s) &* 0x9E37_79B9_7F4A_7C15))
            var rateChange = 0.0     // Σ δ
            var weightedTimes = 0.0  // Σ δ·c
            for h in 0..<horizon {
                let start = 1 + Double(h) * dt
                // Poisson count by inversion of the product of uniforms (Knuth); the mean is small.
                var product = generator.nextUnit()
                while product > noChange {
                    let time = start + generator.nextUnit() * dt
                    let u = generator.nextOpenUnit() - 0.5
                    let delta = -meanAbsoluteChange * (u < 0 ? -1 : 1) * log(1 - 2 * abs(u))
                    rateChange += delta
                    weightedTimes += delta * time
                    product *= generator.nextUnit()
                }
                let t = start + dt
                deviations[h][s] = rateChange * t - weightedTimes
            }
        }
        return deviations
    }

    /// Equal-weight mixture of N(centre, sd²); identical centres (most samples have no future
    /// change at short horizons) are merged so the quantile solve stays cheap.
    struct Mixture {
        let centres: [Double]
        let weights: [Double]
        let sd: Double

        init(centres raw: [Double], sd: Double) {
            let sorted = raw.sorted()
            var centres: [Double] = []
            var weights: [Double] = []
            for value in sorted {
                if let last = centres.last, last == value { weights[weights.count - 1] += 1 } else {
                    centres.append(value)
                    weights.append(1)
                }
            }
            let total = Double(raw.count)
            self.centres = centres
            self.weights = weights.map { $0 / total }
            self.sd = sd
        }

        func quantile(_ p: Double) -> Double {
            guard sd > 0 else {  // no noise: the empirical quantile of the centres
                var cumulative = 0.0
                for (c, w) in zip(centres, weights) { cumulative += w; if cumulative >= p { return c } }
                return centres[centres.count - 1]
            }
            let z = Gaussian.quantile(p)
            // The quantile lies between those of the lowest and highest components.
            var low = centres[0] + z * sd
            var high = centres[centres.count - 1] + z * sd
            if centres.count == 1 { return low }
            var x = 0.5 * (low + high)
            let density = 1 / (sd * (2 * Double.pi).squareRoot())
            for _ in 0..<100 {
                var cdf = 0.0
                var pdf = 0.0
                for (c, w) in zip(centres, weights) {
                    let u = (x - c) / sd
                    cdf += w * Gaussian.cdf(u)
                    pdf += w * density * exp(-0.5 * u * u)
                }
                let error = cdf - p
                if error > 0 { high = x } else { low = x }
                if abs(error) < 1e-13 || high - low < 1e-15 * max(1, abs(x)) { break }
                // Safeguarded Newton: bisect whenever the step would leave the bracket.
                let next = pdf > 0 ? x - error / pdf : .nan
                x = next > low && next < high ? next : 0.5 * (low + high)
            }
            return x
        }
    }
}
