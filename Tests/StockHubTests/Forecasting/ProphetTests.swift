import Foundation
import Testing
@testable import Forecasting

// Reference vectors: Tests/Vectors/prophet/generate.py (PyPI prophet's MAP fit and predict, on
// real log and raw closes and on simulated series with known changepoints; versions in the JSON).

private struct ProphetVectors: Decodable {
    struct Season: Decodable { let period: Double; let order: Int }
    /// prophet's MAP estimate and `lp`, the log posterior Stan reported at it (`lp__`; constants
    /// dropped, no Jacobian for σ: the same terms as our `negativeLogPosterior`, negated).
    struct Params: Decodable { let k, m, sigmaObs, yScale, lp: Double; let delta, beta, changepointsT: [Double] }
    struct Case: Decodable {
        let id: String
        let y: [Double]
        let horizon: Int
        let seasonalities: [Season]
        let yhat, lower80, upper80, lower95, upper95, fittedInSample: [Double]
        let params: Params
    }
    let series: [Case]
}

private func prophetVectors() throws -> ProphetVectors { try referenceVectors("prophet/vectors.json") }

private extension ProphetVectors.Case {
    var model: ProphetStyle {
        // The reference adds its seasonalities explicitly, so prophet fits them on any history.
        ProphetStyle(seasonalities: seasonalities.map { .init(period: $0.period, order: $0.order) }, requiredCycles: 0)
    }
    /// The reference's observation noise sd on the series' own scale: the yardstick for how far
    /// apart two MAP fits may be before the difference matters to a forecast.
    var noise: Double { params.sigmaObs * params.yScale }
}

@Suite("Prophet-style model against PyPI prophet")
struct ProphetTests {
    /// Both fits maximise the same posterior. Ours solves the lasso-type θ-step exactly (exact
    /// zeros for the Laplace prior); prophet's L-BFGS stops at a relative tolerance, in a
    /// posterior that is nearly flat along trade-offs between neighbouring changepoints. So the
    /// check is the one used for ARIMA: our mode is at least as probable as prophet's, by
    /// prophet's own figure (Stan's lp__ at its optimum). Our posterior function, applied to
    /// prophet's parameters and fitted values, must reproduce that figure first (the Fourier
    /// prior is rotation-invariant, so phase conventions do not matter). The fits may then differ by a
    /// fraction of the noise: measured up to 0.44σ for the 10-step forecasts and 0.28σ in
    /// sample; a dropped seasonality or a wrong time scale moved them by 3-4σ here.
    @Test func mapFitIsAtLeastAsProbableAsProphetsAndForecastsAgree() throws {
        for c in try prophetVectors().series {
            let fitted = try c.model.fit(c.y)
            let design = ProphetDesign(scaled: c.y.map { $0 / fitted.yScale }, changepoints: fitted.changepoints,
                                       seasonalities: fitted.seasonalities)
            let priors = ProphetPriors(changepointScale: 0.05, seasonalityScale: 10)
            let ours = priors.negativeLogPosterior(design: design, estimate: .init(theta: [fitted.k, fitted.m] + fitted.deltas + fitted.betas,
                                                                                  sigma: fitted.sigma))
            let theirSSR = zip(c.y, c.fittedInSample).reduce(0.0) { $0 + pow(($1.0 - $1.1) / c.params.yScale, 2) }
            let theirs = priors.negativeLogPosterior(residualSumOfSquares: theirSSR, observations: c.y.count, sigma: c.params.sigmaObs,
                                                     k: c.params.k, m: c.params.m, deltas: c.params.delta, betas: c.params.beta)
            let prophets = -c.params.lp
            #expect(abs(theirs - prophets) <= 1e-8 * abs(prophets), "\(c.id): our −log posterior at prophet's optimum \(theirs) vs Stan's \(prophets)")
            #expect(ours <= prophets + 1e-6 * abs(prophets), "\(c.id): −log posterior \(ours) vs prophet's \(prophets)")

            let f = fitted.forecast(horizon: c.horizon, levels: [0.8, 0.95])
            let forecastGap = zip(f.mean, c.yhat).map { abs($0 - $1) }.max()!
            var inSampleGap = 0.0
            for i in 0..<c.y.count { inSampleGap = max(inSampleGap, abs(fitted.scaledMean(step: i) * fitted.yScale - c.fittedInSample[i])) }
            print("prophet \(c.id): −log posterior \(ours) vs Stan's \(prophets) (ours at its optimum \(theirs)); forecast gap \(forecastGap / c.noise) σ, in-sample gap \(inSampleGap / c.noise) σ")
            #expect(forecastGap <= 0.5 * c.noise, "\(c.id): forecast differs by \(forecastGap / c.noise) σ")
            #expect(inSampleGap <= 0.35 * c.noise, "\(c.id): fit differs by \(inSampleGap / c.noise) σ")
            #expect(abs(fitted.sigma * fitted.yScale - c.noise) <= 0.02 * c.noise, "\(c.id): σ \(fitted.sigma * fitted.yScale) vs \(c.noise)")
        }
    }

    @Test func automaticSeasonalitiesNeedTwoCycles() throws {
        let y: [Double] = (0..<400).map { (i: Int) -> Double in
            let t = Double(i)
            return 10 + 0.01 * t + sin(t * 2 * Double.pi / 5)
        }
        let fitted = try ProphetStyle().fit(y)
        #expect(fitted.seasonalities == [ProphetStyle.Seasonality(period: 5, order: 2)], "252 needs 504 points")
    }

    /// prophet's intervals are Monte Carlo quantiles of 10,000 trend-and-noise draws; ours mix
    /// 1,000 trend draws with exact Gaussian noise. Widths agree to within 10%, which a missing
    /// trend-uncertainty term (a 10-step width grows well beyond pure noise) would exceed.
    @Test func intervalWidthsMatchProphetsSampledIntervals() throws {
        for c in try prophetVectors().series {
            let f = try c.model.fit(c.y).forecast(horizon: c.horizon, levels: [0.8, 0.95])
            let i80 = try #require(f.interval(level: 0.8)), i95 = try #require(f.interval(level: 0.95))
            for h in 0..<c.horizon {
                let mine80 = i80.upper[h] - i80.lower[h], ref80 = c.upper80[h] - c.lower80[h]
                let mine95 = i95.upper[h] - i95.lower[h], ref95 = c.upper95[h] - c.lower95[h]
                #expect(abs(mine80 / ref80 - 1) < 0.1, "\(c.id) h=\(h + 1): 80% width \(mine80) vs \(ref80)")
                #expect(abs(mine95 / ref95 - 1) < 0.1, "\(c.id) h=\(h + 1): 95% width \(mine95) vs \(ref95)")
            }
        }
    }

    /// prophet's own placements (`changepoints_t`, on its [0, 1] time axis) for every reference
    /// series, 300 to 750 points: ours are the same times, and the fit uses them.
    @Test func changepointsArePlacedLikeProphet() throws {
        for c in try prophetVectors().series {
            let times = ProphetStyle.changepointTimes(observations: c.y.count, count: 25, range: 0.8)
            #expect(times.count == c.params.changepointsT.count, "\(c.id): \(times.count) vs \(c.params.changepointsT.count)")
            for (ours, theirs) in zip(times, c.params.changepointsT) {
                #expect(abs(ours - theirs) < 1e-12, "\(c.id): changepoint at \(ours) vs prophet's \(theirs)")
            }
            #expect(try c.model.fit(c.y).changepoints == times, "\(c.id)")
        }
        // Too short a history for 25: one per observed step after the first.
        #expect(ProphetStyle.changepointTimes(observations: 10, count: 25, range: 0.8).count == 7)
    }

    @Test func fittedModelForecastsTheSameAfterEncoding() throws {
        let c = try #require(try prophetVectors().series.first)
        let fitted = try c.model.fit(c.y)
        let decoded = try JSONDecoder().decode(FittedProphetStyle.self, from: JSONEncoder().encode(fitted))
        #expect(decoded.forecast(horizon: 5, levels: [0.8, 0.95]) == fitted.forecast(horizon: 5, levels: [0.8, 0.95]))
        #expect(fitted.spec.hasPrefix("Prophet-style: piecewise-linear trend, 25 changepoints"))
    }

    @Test func tooShortOrNonFiniteSeriesIsAClearError() {
        #expect(throws: ForecastError.tooShort(model: "prophet", needed: 10, got: 3)) { try ProphetStyle().fit([1, 2, 3]) }
        #expect(throws: ForecastError.self) { try ProphetStyle().fit([1, 2, 3, 4, 5, .nan, 7, 8, 9, 10, 11]) }
    }
}
