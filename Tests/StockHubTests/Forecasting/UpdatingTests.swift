import Foundation
import Testing
@testable import Forecasting

/// Stored models taking newer observations without a refit (`UpdatableModel`): running a fitted
/// state forward must land where a filter with the same fixed parameters over the whole longer
/// series lands, which is what the backtest does between refits.
@Suite("Forecasting: fitted models take newer observations without refitting")
struct UpdatingTests {
    /// A positive random walk with drift and a weekly pattern: a price-like series.
    func prices(_ count: Int, seed: UInt64) -> [Double] {
        var generator = SplitMix64(seed: seed)
        var level = 100.0
        return (0..<count).map { t in
            level *= exp(0.0004 + 0.012 * generator.nextGaussian())
            return level * (1 + 0.003 * sin(2 * Double.pi * Double(t) / 5))
        }
    }

    func expectSameForecasts(_ a: Forecast, _ b: Forecast, tolerance: Double = 1e-7, _ label: String) {
        #expect(a.mean.count == b.mean.count, "\(label)")
        for (x, y) in zip(a.mean, b.mean) { #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(label) mean \(x) vs \(y)") }
        for (i, j) in zip(a.intervals, b.intervals) {
            for (x, y) in zip(i.lower + i.upper, j.lower + j.upper) {
                #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(label) interval \(x) vs \(y)")
            }
        }
    }

    @Test(arguments: [
        (ARIMA.Order(1, 1, 1), nil as ARIMA.SeasonalOrder?, true),
        (ARIMA.Order(2, 0, 1), nil, true),
        (ARIMA.Order(0, 1, 2), ARIMA.SeasonalOrder(1, 1, 0, period: 5), false),
        (ARIMA.Order(0, 2, 1), nil, false),
    ])
    func arimaRunsForwardToWhereAFixedParameterFilterEnds(order: ARIMA.Order, seasonal: ARIMA.SeasonalOrder?, constant: Bool) throws {
        let y = prices(400, seed: 11).map { log($0) }
        let fitted = try ARIMA(order: order, seasonal: seasonal, includeConstant: constant).fit(Array(y[..<390]))
        let updated = try fitted.updated(with: Array(y[390...]))
        var fixed = ARIMA(order: order, seasonal: seasonal, includeConstant: constant)
        fixed.estimation = .fixed(fitted.parameters)
        let reference = try fixed.fit(y)
        expectSameForecasts(updated.forecast(horizon: 10, levels: [0.8, 0.95]), reference.forecast(horizon: 10, levels: [0.8, 0.95]), "\(fitted.spec)")
        #expect(updated.parameters == fitted.parameters && updated.observationCount == 400 && updated.logLikelihood == fitted.logLikelihood)
        // And it did move: the forecast is not the stale one.
        #expect(updated.forecast(horizon: 1, levels: []).mean != fitted.forecast(horizon: 1, levels: []).mean)
    }

    @Test(arguments: [
        ETS(error: .additive, trend: .none),
        ETS(error: .multiplicative, trend: .additiveDamped),
        ETS(error: .additive, trend: .additive, season: .additive, seasonLength: 5),
        ETS(error: .multiplicative, trend: .none, season: .multiplicative, seasonLength: 5),
    ])
    func etsRunsForwardToWhereTheFittedFilterEnds(model: ETS) throws {
        let y = prices(300, seed: 7)
        let fitted = try model.fit(Array(y[..<293]))
        let updated = try fitted.updated(with: Array(y[293...]))
        let initial = ETSParameters(alpha: fitted.alpha, beta: fitted.beta, gamma: fitted.gamma, phi: fitted.phi,
                                    level: fitted.initialLevel, trend: fitted.initialTrend, season: fitted.initialSeason)
        let reference = try #require(ETSFilter.run(y, kind: fitted.kind, parameters: initial))
        #expect(abs(updated.finalLevel - reference.level) <= 1e-9 * abs(reference.level), "\(fitted.spec)")
        #expect(abs(updated.finalTrend - reference.trend) <= 1e-9 * max(1, abs(reference.trend)), "\(fitted.spec)")
        for (a, b) in zip(updated.finalSeason, reference.season) { #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(fitted.spec)") }
        #expect(updated.finalSeason.count == reference.season.count && updated.observations == 300 && updated.sigma2 == fitted.sigma2)
    }

    @Test func prophetForecastsTheDatesAfterTheNewerObservations() throws {
        let y = prices(400, seed: 3)
        let fitted = try ProphetStyle(seasonalities: [ProphetStyle.Seasonality(period: 5, order: 2)]).fit(y)
        let updated = try fitted.updated(with: [1, 2, 3]).updated(with: [4, 5])
        let later = fitted.forecast(horizon: 12, levels: [0.8, 0.95])
        let expected = Forecast(mean: Array(later.mean.suffix(7)),
                                intervals: later.intervals.map { .init(level: $0.level, lower: Array($0.lower.suffix(7)), upper: Array($0.upper.suffix(7))) })
        expectSameForecasts(updated.forecast(horizon: 7, levels: [0.8, 0.95]), expected, tolerance: 0, "prophet")
        // A fresh fit's state has no newer observations: artifacts written before this existed still decode.
        #expect(try JSONDecoder().decode(FittedProphetStyle.self, from: JSONEncoder().encode(fitted)).newerObservations == nil)
        #expect(try JSONDecoder().decode(FittedProphetStyle.self, from: JSONEncoder().encode(updated)).newerObservations == 5)
    }

    @Test func baselinesAndLogScaleTakeNewerValues() throws {
        let y = prices(200, seed: 5)
        let naive = try Naive().fit(Array(y[..<195])).updated(with: Array(y[195...]))
        #expect(naive.forecast(horizon: 1, levels: []).mean == [y[199]])
        let drift = try Drift().fit(Array(y[..<195]))
        let movedDrift = try drift.updated(with: Array(y[195...]))
        #expect(movedDrift.last == y[199] && movedDrift.slope == drift.slope && movedDrift.observations == 200)
        let seasonal = try SeasonalNaive(seasonLength: 5).fit(Array(y[..<197])).updated(with: Array(y[197...]))
        #expect(seasonal.lastSeason == Array(y[195...]))

        // On log prices: the same as updating the base with the logs.
        let onLogs = try OnLogScale(ETS(error: .additive, trend: .none)).fit(Array(y[..<195]))
        let updated = try onLogs.updated(with: Array(y[195...]))
        let direct = try onLogs.base.updated(with: y[195...].map { log($0) })
        expectSameForecasts(updated.forecast(horizon: 3, levels: [0.8]), direct.forecast(horizon: 3, levels: [0.8]).mapped { exp($0) }, tolerance: 0, "log")
        #expect(throws: ForecastError.self) { try onLogs.updated(with: [101, -1]) }
    }

    @Test func badNewerValuesAreRefusedAndTypesThatCannotUpdateSayNil() throws {
        let y = prices(200, seed: 9)
        let arima = try ARIMA(order: .init(1, 1, 0), includeConstant: true).fit(y)
        #expect(throws: ForecastError.self) { try arima.updated(with: [y[199], .nan]) }
        #expect(throws: ForecastError.self) { try ETS(error: .additive, trend: .none).fit(y).updated(with: [.infinity]) }
        // Nothing newer changes nothing.
        #expect(try arima.updated(with: []).forecast(horizon: 3, levels: [0.8]) == arima.forecast(horizon: 3, levels: [0.8]))
        // A type-erased model updates through `updatedIfPossible`; an ensemble has no state of its own to run forward.
        let erased: any FittedModel = arima
        #expect(try erased.updatedIfPossible(with: [y[199] * 1.01]) is FittedARIMA)
        let ensemble = try Ensemble(members: [Naive(), Drift()]).fit(y)
        #expect(try ensemble.updatedIfPossible(with: [y[199]]) == nil)
    }
}
