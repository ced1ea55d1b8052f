import Foundation
@testable import Forecasting
import Testing

@Suite("Forecasting core: baselines, metrics, backtest, ensemble, artifacts")
struct EvaluationTests {
    @Test func gaussianQuantilesMatchTabulatedValues() {
        #expect(abs(Gaussian.quantile(0.975) - 1.959963984540054) < 1e-13)
        #expect(abs(Gaussian.quantile(0.9) - 1.2815515655446004) < 1e-13)
        #expect(abs(Gaussian.quantile(0.001) + 3.090232306167813) < 1e-12)
        #expect(Gaussian.quantile(0.5) == 0)
    }

    @Test func naiveAndDriftMatchHandComputedValues() throws {
        let y: [Double] = [1, 2, 4, 7]
        let naive = try Naive().fit(y).forecast(horizon: 4, levels: [0.8, 0.95])
        let sigma = (14.0 / 3).squareRoot()  // one-step changes 1, 2, 3
        #expect(naive.mean == [7, 7, 7, 7])
        #expect(abs(naive.interval(level: 0.95)!.upper[0] - (7 + 1.959963984540054 * sigma)) < 1e-12)
        #expect(abs(naive.interval(level: 0.8)!.lower[3] - (7 - 1.2815515655446004 * sigma * 2)) < 1e-12)  // sd grows with √h
        let drift = try Drift().fit(y).forecast(horizon: 2, levels: [0.8, 0.95])
        // slope (7 − 1)/3 = 2; residuals −1, 0, 1 → σ = √(2/2) = 1; sd(h) = √(h(1 + h/3))
        #expect(drift.mean == [9, 11])
        #expect(abs(drift.interval(level: 0.8)!.upper[0] - (9 + 1.2815515655446004 * (4.0 / 3).squareRoot())) < 1e-12)
        #expect(abs(drift.interval(level: 0.95)!.lower[1] - (11 - 1.959963984540054 * (10.0 / 3).squareRoot())) < 1e-12)
        #expect(throws: ForecastError.tooShort(model: "drift", needed: 3, got: 2)) { try Drift().fit([1, 2]) }
        #expect(throws: ForecastError.self) { try Naive().fit([1, .nan, 3]) }
    }

    @Test func seasonalNaiveRepeatsTheLastSeason() throws {
        let forecast = try SeasonalNaive(seasonLength: 3).fit([1, 2, 3, 4, 5, 6]).forecast(horizon: 4, levels: [0.95])
        #expect(forecast.mean == [4, 5, 6, 4])
        // seasonal differences are all 3 → σ = 3; the 4th step is in the second season: sd 3√2
        #expect(abs(forecast.intervals[0].upper[3] - (4 + 1.959963984540054 * 3 * 2.0.squareRoot())) < 1e-12)
    }

    @Test func logScaleKeepsForecastsPositiveAndRefusesNonPositiveValues() throws {
        let fitted = try OnLogScale(Drift()).fit([100, 110, 121, 133.1])
        let forecast = fitted.forecast(horizon: 1, levels: [0.95])
        #expect(abs(forecast.mean[0] - 146.41) < 1e-9)  // 10% a step, compounded
        #expect(fitted.spec.hasSuffix("on log prices"))
        #expect(throws: ForecastError.self) { try OnLogScale(Naive()).fit([1, 0, 2]) }
    }

    @Test func metricFunctionsMatchHandComputedValues() {
        #expect(abs(ForecastMetrics.naiveScale([1, 3, 2, 6]) - 7.0 / 3) < 1e-15)
        #expect(abs(ForecastMetrics.smape(actual: 100, forecast: 110) - 2000.0 / 210) < 1e-12)
        #expect(ForecastMetrics.smape(actual: 0, forecast: 0) == 0)
        #expect(ForecastMetrics.directionHit(last: 10, actual: 12, forecast: 11) == true)
        #expect(ForecastMetrics.directionHit(last: 10, actual: 9, forecast: 11) == false)
        #expect(ForecastMetrics.directionHit(last: 10, actual: 12, forecast: 10) == nil)
    }

    @Test func backtestOriginsAreExactlyAsSpecified() {
        // last origin n − H = 38; then 33, 28 (dropped: fewer than 30 training points)
        let plan = BacktestPlan(horizon: 2, origins: 3, step: 5, window: 10, minimumTraining: 30)
        #expect(plan.originIndices(seriesLength: 40) == [33, 38])
        #expect(plan.trainingRange(origin: 33) == 23..<33)
        #expect(BacktestPlan(horizon: 5, origins: 4, step: 1, minimumTraining: 3).originIndices(seriesLength: 100) == [92, 93, 94, 95])
        #expect(BacktestPlan(horizon: 1, origins: 2, step: 1).trainingRange(origin: 50) == 0..<50)
    }

    @Test func backtestScoresHandCheckableForecasts() throws {
        // y(t) = t: naive is always 1 behind (MASE 1, in-sample scale 1); drift is exact.
        let y = (0..<60).map(Double.init)
        let plan = BacktestPlan(horizon: 1, origins: 3, step: 5, minimumTraining: 30)
        let report = Backtest.run(models: [Naive(), Drift()], on: y, plan: plan, ensemble: true)
        #expect(report.origins == [49, 54, 59])
        let naive = try #require(report.result(for: "naive")?.byHorizon.first)
        #expect(naive.mase == 1 && naive.rmse == 1 && naive.origins == 3)
        #expect(naive.directionalAccuracy == nil && naive.skillVsNaive == 0)
        let origins: [Double] = [49, 54, 59]
        let expectedSMAPE: Double = origins.map { (o: Double) -> Double in 200 / (2 * o - 1) }.reduce(0, +) / 3
        #expect(abs(naive.smape - expectedSMAPE) < 1e-12)
        #expect(naive.coverage80 == 1 && naive.coverage95 == 1)
        let drift = try #require(report.result(for: "drift")?.byHorizon.first)
        #expect(drift.mase < 1e-12 && drift.directionalAccuracy == 1 && abs(drift.skillVsNaive! - 1) < 1e-12)
        // Ensemble: equal weights at the first origin (error 0.5), then almost all weight on drift.
        let ensemble = try #require(report.result(for: "ensemble")?.byHorizon.first)
        #expect(abs(ensemble.mase - 0.5 / 3) < 1e-6)
    }

    @Test func failingModelsAreCountedNotFatal() throws {
        // Origins 38 and 39 train on 38 and 39 points; a 40-step season needs 41.
        let report = Backtest.run(models: [SeasonalNaive(seasonLength: 40)], on: (0..<40).map(Double.init),
                                  plan: BacktestPlan(horizon: 1, origins: 2, step: 1, minimumTraining: 30))
        let snaive = try #require(report.result(for: "snaive"))
        #expect(snaive.byHorizon.isEmpty && snaive.failedOrigins == 2)
        #expect(snaive.lastError?.contains("at least 41") == true)
        #expect(report.result(for: "naive")?.byHorizon.count == 1)
    }

    @Test func ensembleWeightsFavourTheMoreAccurateMember() {
        let weights = EnsembleWeights.inverseSquaredMASE([1, 2, nil])
        #expect(abs(weights[0] - 0.8) < 1e-12 && abs(weights[1] - 0.2) < 1e-12 && weights[2] == 0)
        #expect(EnsembleWeights.inverseSquaredMASE([nil, nil]) == [0.5, 0.5])
        let a = Forecast.gaussian(mean: [10], sd: [1], levels: [0.8])
        let b = Forecast.gaussian(mean: [13], sd: [2], levels: [0.8])
        let combined = EnsembleWeights.combine([a, b, nil], weights: [2.0 / 3, 1.0 / 3, 0])!
        #expect(abs(combined.mean[0] - 11) < 1e-12)
        let z = Gaussian.quantile(0.9)
        #expect(abs(combined.intervals[0].upper[0] - (2.0 / 3 * (10 + z) + 1.0 / 3 * (13 + 2 * z))) < 1e-12)
    }

    @Test func fittedModelsRoundTripThroughArtifacts() throws {
        let y = [5.0, 6, 5.5, 7, 8, 7.5, 9, 10, 9.5, 11]
        let drift = try Drift().fit(y)
        let decoded = try JSONDecoder().decode(ModelArtifact.self, from: JSONEncoder().encode(ModelArtifact(drift))).decode()
        #expect(decoded.forecast(horizon: 3, levels: [0.8]) == drift.forecast(horizon: 3, levels: [0.8]))
        let ensemble = try Ensemble(members: [Naive(), Drift()], plan: BacktestPlan(horizon: 1, origins: 3, step: 1, minimumTraining: 4)).fit(y)
        let restored = try ModelArtifact(ensemble).decode()
        #expect(restored.forecast(horizon: 2, levels: [0.95]) == ensemble.forecast(horizon: 2, levels: [0.95]))
        #expect(restored.spec == ensemble.spec && restored.spec.hasPrefix("Ensemble"))
        let stale = ModelArtifact(type: "FittedDrift", stateVersion: 99, state: Data("{}".utf8))
        #expect(throws: ForecastError.unsupportedArtifact(model: "FittedDrift", version: 99, expected: 1)) { try stale.decode() }
    }

    /// Every catalog model, as the worker and the trainer would store it: fitted on prices (so
    /// on log prices), written as an artifact and read back, forecasts the same.
    @Test(arguments: ["arima", "ets", "prophet", "ensemble"])
    func catalogModelsRoundTripThroughArtifacts(name: String) throws {
        let y = (0..<300).map { 100 * exp(0.0005 * Double($0) + 0.02 * sin(Double($0) / 9)) }
        let fitted = try ModelCatalog().model(named: name, for: y).fitAny(y)
        let bytes = try JSONEncoder().encode(ModelArtifact(fitted))
        let restored = try JSONDecoder().decode(ModelArtifact.self, from: bytes).decode()
        #expect(restored.spec == fitted.spec)
        #expect(restored.forecast(horizon: 5, levels: [0.8, 0.95]) == fitted.forecast(horizon: 5, levels: [0.8, 0.95]))
        if name != "ensemble" { #expect(fitted.spec.hasSuffix("on log prices")) }
    }
}
