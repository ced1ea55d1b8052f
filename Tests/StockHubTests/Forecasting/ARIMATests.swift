import Foundation
import Testing
@testable import Forecasting

// Reference vectors: Tests/Vectors/arima/generate.py (statsmodels ARIMA fits and pmdarima
// auto_arima choices; versions recorded in the JSON files).

private struct FitVectors: Decodable {
    struct Case: Decodable {
        let series: String
        let order: [Int]
        let seasonal: [Int]?
        let trend: String
        let ar, ma, seasonal_ar, seasonal_ma: [Double]
        let constant: Double?
        let sigma2, loglik, aicc: Double
        let mean, lo80, hi80, lo95, hi95: [Double]
    }
    let series: [String: [Double]]
    let fits: [Case]
}

private struct AutoVectors: Decodable {
    struct Case: Decodable {
        let series: String
        let season_length: Int
        let order: [Int]
        let seasonal: [Int]?
        let with_intercept: Bool
        let aicc: Double
    }
    let series: [String: [Double]]
    let fits: [Case]
}

private func vectors<T: Decodable>(_ file: String) throws -> T { try referenceVectors("arima/\(file)") }

private extension FitVectors.Case {
    var model: ARIMA {
        ARIMA(order: .init(order[0], order[1], order[2]),
              seasonal: seasonal.map { .init($0[0], $0[1], $0[2], period: $0[3]) },
              includeConstant: trend != "n")
    }
    var parameters: ARIMA.Parameters {
        ARIMA.Parameters(ar: ar, ma: ma, seasonalAR: seasonal_ar, seasonalMA: seasonal_ma, constant: constant, sigma2: sigma2)
    }
    var label: String { "\(series) \(model.specDescription)" }
}

private func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(1, abs(b)) }

@Test func logLikelihoodAtReferenceParametersMatchesStatsmodels() throws {
    let v: FitVectors = try vectors("arima_fits.json")
    for c in v.fits {
        let y = v.series[c.series]!
        let ll = try #require(c.model.logLikelihood(y, parameters: c.parameters), "\(c.label)")
        // statsmodels keeps the differences in the state with a large-variance (approximate
        // diffuse) prior; that agrees with the exact likelihood of the differences to ~1e-10.
        #expect(abs(ll - c.loglik) / abs(c.loglik) < 1e-6, "\(c.label): \(ll) vs \(c.loglik)")
    }
}

@Test func forecastsAndIntervalsAtReferenceParametersMatchStatsmodels() throws {
    let v: FitVectors = try vectors("arima_fits.json")
    for c in v.fits {
        let fitted = try #require(c.model.fitted(v.series[c.series]!, parameters: c.parameters))
        let f = fitted.forecast(horizon: c.mean.count, levels: [0.8, 0.95])
        let i80 = try #require(f.interval(level: 0.8)), i95 = try #require(f.interval(level: 0.95))
        for (mine, ref) in [(f.mean, c.mean), (i80.lower, c.lo80), (i80.upper, c.hi80), (i95.lower, c.lo95), (i95.upper, c.hi95)] {
            for h in 0..<ref.count {
                #expect(relativeError(mine[h], ref[h]) < 1e-6, "\(c.label) h=\(h + 1): \(mine[h]) vs \(ref[h])")
            }
        }
    }
}

@Test func maximumLikelihoodFitReachesTheReferenceLikelihood() async throws {
    let v: FitVectors = try vectors("arima_fits.json")
    let fits = try await onOwnThread { try v.fits.map { c in try c.model.fit(v.series[c.series]!) } }
    for (c, fitted) in zip(v.fits, fits) {
        #expect(fitted.logLikelihood >= c.loglik - 1e-3, "\(c.label): \(fitted.logLikelihood) vs \(c.loglik)")
        #expect(fitted.spec == c.model.specDescription)
    }
}

/// pmdarima's auto_arima choices, held to pmdarima's own AICc (statsmodels' SARIMAX: the same
/// Gaussian likelihood of the differenced series, σ² and the constant counted as parameters) and
/// to our own refit of its order. The tolerance, 0.05 AICc units, covers statsmodels'
/// approximate-diffuse start for seasonal differencing: on air_log and wine_k the same order
/// scores 0.04 and 0.03 apart; elsewhere the two agree to 2e-4 or our optimiser finds more.
@Test func autoARIMAChoosesAnAICcNoWorseThanPmdarimaOnNearlyAllSeries() async throws {
    let v: AutoVectors = try vectors("auto_arima.json")
    let tolerance = 0.05
    var noWorseThanRefit = 0, noWorseThanPmdarima = 0
    // pmdarima's order refitted by our own exact ML, so both AICc come from the same
    // likelihood and parameter count; only comparable when the differencing agrees.
    let fits = try await onOwnThread {
        try v.fits.map { c in
            let y = v.series[c.series]!
            return (mine: try AutoARIMA(seasonLength: c.season_length > 1 ? c.season_length : nil).fit(y),
                    theirs: try ARIMA(order: .init(c.order[0], c.order[1], c.order[2]),
                                      seasonal: c.seasonal.map { .init($0[0], $0[1], $0[2], period: $0[3]) },
                                      includeConstant: c.with_intercept).fit(y))
        }
    }
    for (c, fit) in zip(v.fits, fits) {
        let (mine, theirs) = fit
        let sameDifferencing = mine.order.d == theirs.order.d && (mine.seasonalOrder?.d ?? 0) == (theirs.seasonalOrder?.d ?? 0)
        if sameDifferencing && mine.aicc <= theirs.aicc + 1e-3 { noWorseThanRefit += 1 }
        if mine.aicc <= c.aicc + tolerance { noWorseThanPmdarima += 1 }
        // Our fit of pmdarima's own choice scores as pmdarima scored it, or better.
        #expect(theirs.aicc <= c.aicc + tolerance, "\(c.series): \(theirs.spec) refitted AICc \(theirs.aicc) vs pmdarima's \(c.aicc)")
        print("auto \(c.series): mine \(mine.spec) \(mine.aicc) pmdarima \(theirs.spec) refitted \(theirs.aicc), pmdarima's own \(c.aicc)")
    }
    #expect(Double(noWorseThanRefit) >= 0.95 * Double(v.fits.count), "\(noWorseThanRefit) of \(v.fits.count) no worse than the refit")
    #expect(Double(noWorseThanPmdarima) >= 0.95 * Double(v.fits.count), "\(noWorseThanPmdarima) of \(v.fits.count) no worse than pmdarima's AICc")
}

@Test func specNamesTheOrdersAndTheConstant() {
    #expect(FittedARIMA.describe(order: .init(1, 1, 0), seasonal: nil, hasConstant: true) == "ARIMA(1,1,0) with drift")
    #expect(FittedARIMA.describe(order: .init(2, 1, 1), seasonal: .init(0, 1, 1, period: 12), hasConstant: false)
        == "ARIMA(2,1,1)(0,1,1)[12]")
    #expect(ARIMA(order: .init(0, 2, 1), includeConstant: true).hasConstant == false)
}

/// A fitted model carries all it needs to forecast: decoded without the series, it still
/// reproduces statsmodels' forecasts and intervals at the reference parameters, for every case.
@Test func fittedModelForecastsTheSameAfterEncodingWithoutTheData() throws {
    let v: FitVectors = try vectors("arima_fits.json")
    for c in v.fits {
        let fitted = try #require(c.model.fitted(v.series[c.series]!, parameters: c.parameters))
        let encoded = try JSONEncoder().encode(fitted)
        let decoded = try JSONDecoder().decode(FittedARIMA.self, from: encoded)
        let f = decoded.forecast(horizon: c.mean.count, levels: [0.8, 0.95])
        let i80 = try #require(f.interval(level: 0.8)), i95 = try #require(f.interval(level: 0.95))
        for (mine, ref) in [(f.mean, c.mean), (i80.lower, c.lo80), (i80.upper, c.hi80), (i95.lower, c.lo95), (i95.upper, c.hi95)] {
            for h in 0..<ref.count {
                #expect(relativeError(mine[h], ref[h]) < 1e-6, "\(c.label) decoded, h=\(h + 1): \(mine[h]) vs \(ref[h])")
            }
        }
    }
}
