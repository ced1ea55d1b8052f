import Foundation
import Testing
@testable import Forecasting

// Reference vectors: Tests/Vectors/xgboost/generate.py (the Python xgboost 1.7.4 package, the
// version Debian's libxgboost-dev ships).
private struct XGBoostVectors: Decodable {
    struct Run: Decodable {
        let parameters: [String: String]
        let rounds: Int
        let predictions: [Float]
    }
    let rows: Int
    let columns: Int
    let test_rows: Int
    let features: [Float]
    let labels: [Float]
    let test_features: [Float]
    let boosting: Run
    let forest: Run

    static let shared: XGBoostVectors = try! referenceVectors("xgboost/vectors.json")
}

/// The learned tree models: features without look-ahead, boosters equal to the Python package's,
/// and the fitted model behaving like every other (artifacts, newer closes, bad input).
@Suite("Forecasting: return features and XGBoost tree ensembles")
struct TreeEnsembleTests {
    func prices(_ count: Int, seed: UInt64 = 42) -> [Double] {
        var generator = SplitMix64(seed: seed)
        var level = 50.0
        return (0..<count).map { _ in
            level *= exp(0.0003 + 0.015 * generator.nextGaussian())
            return level
        }
    }

    @Test func featuresAtAnOriginUseNothingAfterIt() {
        let features = ReturnFeatures()
        let y = prices(300)
        let origins = features.firstOrigin...(y.count - 1)
        let width = features.count(withWeekday: false)
        let before = features.matrix(closes: y, origins: origins)
        for cut in [features.firstOrigin, 150, 298] {
            var changed = y
            for i in (cut + 1)..<y.count { changed[i] *= 1.5 }
            let after = features.matrix(closes: changed, origins: origins)
            let rowsUpToCut = (cut - features.firstOrigin + 1) * width
            #expect(Array(before[..<rowsUpToCut]) == Array(after[..<rowsUpToCut]), "rows up to \(cut) changed")
            #expect(Array(before[rowsUpToCut...]) != Array(after[rowsUpToCut...]), "later rows should see the change")
        }
    }

    @Test func featuresAreWhatTheyClaim() {
        let features = ReturnFeatures()
        let y = prices(120)
        let t = 100
        let row = features.matrix(closes: y, origins: t...t).map(Double.init)
        let r = (1..<y.count).map { log(y[$0] / y[$0 - 1]) }  // r[i - 1] is the return into close i
        let names = features.names
        func value(_ name: String) -> Double { row[names.firstIndex(of: name)!] }
        #expect(names.count == features.count(withWeekday: false) && row.count == names.count)
        #expect(abs(value("return_lag1") - r[t - 1]) < 1e-6 && abs(value("return_lag3") - r[t - 3]) < 1e-6)
        let last20 = r[(t - 20)..<t]
        let mean = last20.reduce(0, +) / 20
        #expect(abs(value("return_mean_20") - mean) < 1e-6)
        let sd = (last20.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 19).squareRoot()
        #expect(abs(value("return_volatility_20") - sd) < 1e-6)
        let average5 = y[(t - 4)...t].reduce(0, +) / 5
        #expect(abs(value("distance_from_ma_5") - log(y[t] / average5)) < 1e-6)
        let last14 = r[(t - 14)..<t]
        let gains = last14.filter { $0 > 0 }.reduce(0, +), losses = -last14.filter { $0 < 0 }.reduce(0, +)
        #expect(abs(value("momentum_14") - (gains / (gains + losses) - 0.5)) < 1e-6)
        let dated = features.matrix(closes: y, origins: t...t, weekdays: (0..<y.count).map { $0 % 5 })
        #expect(dated.count == names.count + 1 && dated.last == Float(t % 5))
    }

    /// Same matrix and settings as the Python package: the same predictions, for both modes.
    @Test(arguments: [TreeEnsembleForecaster.Kind.gradientBoosting, .randomForest])
    func boostersMatchThePythonPackage(kind: TreeEnsembleForecaster.Kind) throws {
        let vectors = XGBoostVectors.shared
        let run = kind == .gradientBoosting ? vectors.boosting : vectors.forest
        let (parameters, rounds) = TreeEnsembleForecaster(kind).parameters
        // The vectors were made with the model's own settings (the scikit-learn names mapped to XGBoost's).
        let aliases = ["learning_rate": "eta", "reg_lambda": "lambda", "random_state": "seed", "n_jobs": "nthread"]
        var theirs = Dictionary(uniqueKeysWithValues: run.parameters.map { (aliases[$0.key] ?? $0.key, $0.value) })
        theirs["eta"] = theirs["eta"].map { $0 == "1" ? "1" : $0 }
        for (name, value) in parameters {
            let reference = try #require(theirs[name], "\(name) missing from the vectors")
            #expect(Double(reference) == Double(value) || reference == value, "\(name): ours \(value), vectors \(reference)")
        }
        #expect(rounds == run.rounds)
        let booster = try XGBooster(features: vectors.features, rows: vectors.rows, columns: vectors.columns, labels: vectors.labels,
                                    parameters: parameters, rounds: rounds)
        let predicted = try booster.predict(vectors.test_features, rows: vectors.test_rows, columns: vectors.columns)
        #expect(predicted.count == run.predictions.count)
        for (ours, theirs) in zip(predicted, run.predictions) { #expect(abs(ours - theirs) <= 1e-5, "\(ours) vs \(theirs)") }
        // And the serialised booster predicts the same after a load.
        let loaded = try XGBooster(serialized: try booster.serialized())
        let reloaded = try loaded.predict(vectors.test_features, rows: vectors.test_rows, columns: vectors.columns)
        #expect(reloaded == predicted)
    }

    @Test(arguments: [TreeEnsembleForecaster.Kind.gradientBoosting, .randomForest])
    func aFittedEnsembleRoundTripsTakesNewerClosesAndForecastsSanely(kind: TreeEnsembleForecaster.Kind) throws {
        let y = prices(760)
        let model = TreeEnsembleForecaster(kind)
        let fitted = try model.fit(Array(y[..<750]))
        let forecast = fitted.forecast(horizon: 8, levels: [0.8, 0.95])
        #expect(forecast.mean.allSatisfy(\.isFinite) && forecast.mean.count == 8)
        for h in 0..<8 {
            let (i80, i95) = (forecast.intervals[0], forecast.intervals[1])
            #expect(i95.lower[h] <= i80.lower[h] && i80.lower[h] < forecast.mean[h] && forecast.mean[h] < i80.upper[h] && i80.upper[h] <= i95.upper[h])
        }
        #expect(fitted.spec.contains("split-conformal") && fitted.shrinkage.allSatisfy { (0...1).contains($0) })

        // An artifact decodes to the same forecasts.
        let artifact = try ModelArtifact(fitted)
        let decoded = try JSONDecoder().decode(ModelArtifact.self, from: JSONEncoder().encode(artifact)).decode()
        #expect(decoded.forecast(horizon: 8, levels: [0.8, 0.95]) == forecast)

        // Newer closes: the same boosters at the new end, as the frozen model fitted on the longer series.
        let updated = try fitted.updated(with: Array(y[750...]))
        let frozen = try model.selected(by: fitted).fit(y)
        #expect(updated.forecast(horizon: 5, levels: [0.8]) == frozen.forecast(horizon: 5, levels: [0.8]))
        #expect(updated.forecast(horizon: 1, levels: []).mean[0] != forecast.mean[0] && updated.observations == 760)

        // Deterministic: the same input trains the same boosters.
        let again = try model.fit(Array(y[..<750]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let (first, second) = (try encoder.encode(fitted), try encoder.encode(again))
        #expect(first == second)
    }

    @Test func theBoostersSeeNothingOfTheCalibrationPeriod() throws {
        // The boosters are trained on origins whose targets end by the first calibration origin
        // (a purge): closes after it change the held-out errors, never the boosters.
        let y = prices(400)
        let model = TreeEnsembleForecaster(.gradientBoosting)
        let split = try #require(CalibrationSplit(firstOrigin: ReturnFeatures().firstOrigin, count: y.count, horizon: model.horizon))
        #expect(split.fit.upperBound + model.horizon <= split.calibrate.lowerBound)
        var changed = y
        for i in (split.calibrate.lowerBound + 1)..<y.count { changed[i] *= 1 + 0.01 * sin(Double(i)) }
        func trees(_ fitted: FittedTreeEnsemble) throws -> [[UInt8]] { try fitted.boosters.map { try $0.serialized() } }
        let a = try model.fit(y), b = try model.fit(changed)
        #expect(try trees(a) == trees(b))
        #expect(a.conformal != b.conformal)
        // One close earlier, inside the fitted targets, and the boosters differ: the check can fail.
        changed[split.calibrate.lowerBound] *= 1.05
        let c = try model.fit(changed)
        #expect(try trees(a) != trees(c))
    }

    @Test func badSeriesGetTheModelsReason() throws {
        let model = TreeEnsembleForecaster(.randomForest)
        #expect(throws: ForecastError.tooShort(model: "random_forest", needed: model.minimumCount, got: 100)) { try model.fit(prices(100)) }
        #expect(throws: ForecastError.self) { try model.fit(prices(300).enumerated().map { $0.offset == 200 ? .nan : $0.element }) }
        #expect(throws: ForecastError.invalidInput("random_forest: the prices are constant, so there are no returns to learn from")) {
            try model.fit(Array(repeating: 10, count: 300))
        }
        #expect(throws: ForecastError.self) { try model.fit(prices(300).enumerated().map { $0.offset == 10 ? -1 : $0.element }) }
        // In the catalog, a series the learned models cannot take still gets every other model.
        let catalog = ModelCatalog()
        let short = prices(100)
        #expect(throws: ForecastError.self) { try catalog.model(named: "xgboost", for: short).fitAny(short) }
        let arima = try catalog.model(named: "arima", for: short).fitAny(short)
        #expect(arima.forecast(horizon: 3, levels: [0.8]).mean.count == 3)
    }
}
