import Foundation

/// Gradient-boosted trees (`xgboost`) or a random forest (`random_forest`, XGBoost's forest
/// mode: many trees in one round, learning rate 1) on `ReturnFeatures`, direct strategy: one
/// booster per horizon h = 1…H predicts the log return over h trading days. Trained on the
/// earlier origins of a `CalibrationSplit`, scored on the later ones for split-conformal
/// intervals, then trained again on every origin with the same settings for the forecast.
public struct TreeEnsembleForecaster: ForecastModel {
    public enum Kind: String, Sendable, Codable {
        case gradientBoosting = "xgboost"
        case randomForest = "random_forest"
    }

    public let kind: Kind
    /// Horizons trained directly; later steps extend the last one (see `SplitConformal.forecast`).
    public let horizon: Int
    public var features = ReturnFeatures()
    public var name: String { kind.rawValue }

    public init(_ kind: Kind, horizon: Int = 5) {
        precondition(horizon >= 1, "at least one horizon")
        self.kind = kind
        self.horizon = horizon
    }

    /// Settings for XGBoost. Daily returns are mostly noise, so both are heavily regularised:
    /// shallow trees, large leaves, and a base score of 0 (XGBoost 1.7's default of 0.5 is a
    /// 50% return that the first rounds would spend undoing).
    var parameters: (values: [(String, String)], rounds: Int) {
        let common = [("objective", "reg:squarederror"), ("base_score", "0"), ("tree_method", "hist"), ("nthread", "1"),
                      ("seed", "0"), ("verbosity", "0")]
        switch kind {
        case .gradientBoosting:
            return (common + [("eta", "0.05"), ("max_depth", "3"), ("min_child_weight", "20"), ("subsample", "0.8"),
                              ("colsample_bytree", "0.8"), ("lambda", "1")], 60)
        case .randomForest:
            return (common + [("eta", "1"), ("num_parallel_tree", "100"), ("max_depth", "4"), ("min_child_weight", "20"),
                              ("subsample", "0.632"), ("colsample_bynode", "0.8"), ("lambda", "1e-5")], 1)
        }
    }

    public var minimumCount: Int { CalibrationSplit.minimumCount(firstOrigin: features.firstOrigin, horizon: horizon) }

    public func fit(_ y: [Double]) throws -> FittedTreeEnsemble {
        try validateSeries(y, model: name, minimum: minimumCount)
        if let index = y.firstIndex(where: { !($0 > 0) }) {
            throw ForecastError.invalidInput("\(name) models log returns and needs positive prices; value \(index + 1) is \(y[index])")
        }
        guard let split = CalibrationSplit(firstOrigin: features.firstOrigin, count: y.count, horizon: horizon) else {
            throw ForecastError.tooShort(model: name, needed: minimumCount, got: y.count)
        }
        let width = features.count(withWeekday: false)
        // Held-out errors from boosters that never saw the calibration origins' targets.
        let early = try boosters(y, origins: split.fit, width: width)
        let heldOut = features.matrix(closes: y, origins: split.calibrate)
        let actual = ReturnFeatures.targets(closes: y, origins: split.calibrate, horizon: horizon)
        var errors: [[Double]] = []
        for (h, booster) in early.enumerated() {
            let predicted = try booster.predict(heldOut, rows: split.calibrate.count, columns: width)
            errors.append(predicted.indices.map { Double(actual[$0 * horizon + h]) - Double(predicted[$0]) })
        }
        guard let conformal = SplitConformal(errors: errors) else {
            throw ForecastError.tooShort(model: name, needed: minimumCount, got: y.count)
        }
        let final = try boosters(y, origins: split.fit.lowerBound...split.calibrate.upperBound, width: width)
        return try FittedTreeEnsemble(kind: kind, features: features, boosters: final, conformal: conformal,
                                      recentCloses: Array(y.suffix(features.firstOrigin + 1)), observations: y.count)
    }

    /// One booster per horizon, trained on `origins`.
    private func boosters(_ y: [Double], origins: ClosedRange<Int>, width: Int) throws -> [XGBooster] {
        let matrix = features.matrix(closes: y, origins: origins)
        let targets = ReturnFeatures.targets(closes: y, origins: origins, horizon: horizon)
        let (values, rounds) = parameters
        return try (0..<horizon).map { h in
            let labels = (0..<origins.count).map { targets[$0 * horizon + h] }
            return try XGBooster(features: matrix, rows: origins.count, columns: width, labels: labels, parameters: values, rounds: rounds)
        }
    }
}

/// A fitted tree ensemble: its boosters (one per horizon), the conformal errors, and the last
/// closes one feature row needs, so it can forecast and take newer closes without the series.
public struct FittedTreeEnsemble: FittedModel {
    public static let stateVersion = 1
    public let kind: TreeEnsembleForecaster.Kind
    let features: ReturnFeatures
    let boosters: [XGBooster]
    let conformal: SplitConformal
    /// The last `features.firstOrigin + 1` closes: the look-back of one feature row.
    let recentCloses: [Double]
    public let observations: Int
    /// The boosters' predicted log returns at the last close, h = 1…H.
    public let logReturns: [Double]

    init(kind: TreeEnsembleForecaster.Kind, features: ReturnFeatures, boosters: [XGBooster], conformal: SplitConformal,
         recentCloses: [Double], observations: Int) throws {
        self.kind = kind
        self.features = features
        self.boosters = boosters
        self.conformal = conformal
        self.recentCloses = recentCloses
        self.observations = observations
        let last = recentCloses.count - 1
        let row = features.matrix(closes: recentCloses, origins: last...last)
        logReturns = try boosters.map { Double(try $0.predict(row, rows: 1, columns: row.count)[0]) }
        if let bad = logReturns.firstIndex(where: { !$0.isFinite }) {
            throw ForecastError.fitFailed(model: kind.rawValue, reason: "the horizon-\(bad + 1) prediction is not a finite number")
        }
    }

    public var spec: String {
        let method = switch kind {
        case .gradientBoosting: "XGBoost gradient-boosted trees"
        case .randomForest: "XGBoost random forest"
        }
        return "\(method) on \(features.count(withWeekday: false)) return features, direct to h=\(boosters.count); \(conformal.description)"
    }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        conformal.forecast(lastClose: recentCloses[recentCloses.count - 1], logReturns: logReturns, horizon: horizon, levels: levels)
    }

    // The boosters travel as XGBoost's own serialised models.
    enum CodingKeys: String, CodingKey {
        case kind, features, boosters, conformal, observations
        case recentCloses = "recent_closes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let buffers = try container.decode([Data].self, forKey: .boosters)
        try self.init(kind: try container.decode(TreeEnsembleForecaster.Kind.self, forKey: .kind),
                      features: try container.decode(ReturnFeatures.self, forKey: .features),
                      boosters: try buffers.map { try XGBooster(serialized: Array($0)) },
                      conformal: try container.decode(SplitConformal.self, forKey: .conformal),
                      recentCloses: try container.decode([Double].self, forKey: .recentCloses),
                      observations: try container.decode(Int.self, forKey: .observations))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(features, forKey: .features)
        try container.encode(try boosters.map { Data(try $0.serialized()) }, forKey: .boosters)
        try container.encode(conformal, forKey: .conformal)
        try container.encode(recentCloses, forKey: .recentCloses)
        try container.encode(observations, forKey: .observations)
    }
}

extension FittedTreeEnsemble: UpdatableModel {
    /// The same boosters asked again at the newest close: one feature row from the recent closes.
    public func updated(with newer: [Double]) throws -> FittedTreeEnsemble {
        try validateNewer(newer, model: kind.rawValue)
        guard !newer.isEmpty else { return self }
        if let index = newer.firstIndex(where: { !($0 > 0) }) {
            throw ForecastError.invalidInput("\(kind.rawValue): newer value \(index + 1) is \(newer[index]); prices must be positive")
        }
        return try FittedTreeEnsemble(kind: kind, features: features, boosters: boosters, conformal: conformal,
                                      recentCloses: Array((recentCloses + newer).suffix(recentCloses.count)),
                                      observations: observations + newer.count)
    }
}
