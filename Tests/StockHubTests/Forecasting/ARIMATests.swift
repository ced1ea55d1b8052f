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
/// The one known miss is lynx_log: pmdarima's ARIMA(3,0,3) has AR roots of modulus 1.008, which
/// H–K's rule refuses (pmdarima's root test looks only at the MA roots of a model that has any).
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

/// A weekly log price: a random walk with drift 0.2% and volatility 2.5% a week, from `start`.
private func weeklyLogWalk(seed: UInt64, weeks: Int = 104, start: Double = 4.6) -> [Double] {
    var generator = SplitMix64(seed: seed)
    var x = start
    return (0..<weeks).map { _ in x += 0.002 + 0.025 * generator.nextGaussian(); return x }
}

/// KPSS with KPSS's own ℓ4 lag rule (4 lags at 104 points) kept d = 0 on 41 of these 400
/// two-year weekly walks; R's and statsforecast's ⌊3√n/13⌋ (2 lags) on 14, near the test's 5%.
@Test func shortWeeklyLogPriceRandomWalksWithDriftAreDifferenced() {
    let undifferenced = (UInt64(1)...400).filter { UnitRoot.kpssDifferences(weeklyLogWalk(seed: $0), maxD: 2) == 0 }.count
    #expect(undifferenced <= 20, "\(undifferenced) of 400 walks left undifferenced")
    #expect(UnitRoot.kpssLags(104) == 2 && UnitRoot.kpssLags(750) == 6)
}

@Test func autoARIMAOnAShortWeeklyLogPriceWalkChoosesOneDifference() throws {
    // Seed 7 is a walk the ℓ4 rule left undifferenced.
    let prices = weeklyLogWalk(seed: 7).map { exp($0) }
    let fitted = try #require(try ModelCatalog().model(named: "arima", for: prices).fitAny(prices) as? FittedOnLogScale<FittedARIMA>)
    #expect(fitted.base.order.d == 1, "\(fitted.spec)")
}

/// A price near one unit has a log near 0, where a zero-mean AR(1) with a root near 1 wins
/// the AICc by its saved parameter and then drifts towards a price of one unit.
@Test func stationaryModelsOnLogPricesKeepTheirMean() throws {
    let logs = weeklyLogWalk(seed: 156, start: 0.3)
    let generic = try AutoARIMA().search(logs, d: 0, seasonalD: 0)
    #expect(!generic.hasConstant, "the case this guards: \(generic.spec)")
    let model = try #require(try ModelCatalog().model(named: "arima", for: logs.map { exp($0) }) as? OnLogScale<AutoARIMA>)
    #expect(!model.base.allowsZeroMean)
    let onLogPrices = try model.base.search(logs, d: 0, seasonalD: 0)
    #expect(onLogPrices.hasConstant, "\(onLogPrices.spec)")
}

/// Linear trend + AR(1) noise forced to d = 1: ARIMA(1,1,1) with drift and θ → −1 has the best
/// AICc, but it is the trend-stationary model in disguise, and H–K's rule refuses roots within 1.01.
@Test func searchRefusesAnMARootAtTheUnitCircle() throws {
    var generator = SplitMix64(seed: 1)
    var u = 0.0
    let y = (0..<104).map { t -> Double in u = 0.6 * u + 0.02 * generator.nextGaussian(); return 4.6 + 0.003 * Double(t) + u }
    let cancelling = try #require(ARIMAEstimation.maximumLikelihood(ARIMA(order: .init(1, 1, 1), includeConstant: true), y: y, start: nil, polish: false))
    let chosen = try AutoARIMA().search(y, d: 1, seasonalD: 0)
    #expect(cancelling.parameters.ma[0] < -0.99 && cancelling.aicc < chosen.aicc, "the case this guards")
    #expect(ARIMAEstimation.isAdmissible(chosen.parameters, margin: 1.01), "\(chosen.spec): \(chosen.parameters)")
}
