import Foundation

/// Gradient-boosted trees (`xgboost`) or a random forest (`random_forest`, XGBoost's forest
/// mode: many trees in one round, learning rate 1) on `ReturnFeatures`, direct strategy: one
/// booster per horizon h = 1…H predicts the log return over h trading days. Trained on the
/// earlier origins of a `CalibrationSplit` and scored on the later ones, which it never saw,
/// for split-conformal intervals; that model forecasts (no second training: it would double
/// the cost and leave the intervals describing another model).
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
    /// 50% return that the first rounds would spend undoing). Split candidates come from 32
    /// quantile bins per feature (`approx`): on ~600 rows it trains 3–4× faster than `hist` or
    /// `exact` (measured with XGBoost 1.7.4), and finer splits only fit noise.
    var parameters: (values: [(String, String)], rounds: Int) {
        let common = [("objective", "reg:squarederror"), ("base_score", "0"), ("tree_method", "approx"), ("max_bin", "32"),
                      ("nthread", "1"), ("seed", "0"), ("verbosity", "0")]
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
        if y.allSatisfy({ $0 == y[0] }) {
            throw ForecastError.invalidInput("\(name): the prices are constant, so there are no returns to learn from")
        }
        guard let split = CalibrationSplit(firstOrigin: features.firstOrigin, count: y.count, horizon: horizon) else {
            throw ForecastError.tooShort(model: name, needed: minimumCount, got: y.count)
        }
        let width = features.count(withWeekday: false)
        // Held-out errors from boosters that never saw the calibration origins' targets.
        let early = try boosters(y, origins: split.fit, width: width)
        let heldOut = features.matrix(closes: y, origins: split.calibrate)
        let actual = ReturnFeatures.targets(closes: y, origins: split.calibrate, horizon: horizon)
        var errors: [[Double]] = [], shrinkage: [Double] = []
        for (h, booster) in early.enumerated() {
            let predicted = try booster.predict(heldOut, rows: split.calibrate.count, columns: width).map(Double.init)
            let outcome = predicted.indices.map { Double(actual[$0 * horizon + h]) }
            // Returns are mostly noise: scale the predictions by the least-squares factor on the
            // held-out origins, kept in [0, 1], so a booster that learned noise says little.
            let squares = predicted.reduce(0) { $0 + $1 * $1 }
            let factor = squares > 0 ? min(max(zip(predicted, outcome).reduce(0) { $0 + $1.0 * $1.1 } / squares, 0), 1) : 0
            shrinkage.append(factor)
            errors.append(predicted.indices.map { outcome[$0] - factor * predicted[$0] })
        }
        guard let conformal = SplitConformal(errors: errors) else {
            throw ForecastError.tooShort(model: name, needed: minimumCount, got: y.count)
        }
        return try FittedTreeEnsemble(kind: kind, features: features, boosters: early, shrinkage: shrinkage, conformal: conformal,
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

extension TreeEnsembleForecaster: SpecificationSelecting {
    /// The trained boosters kept as they are: a backtest trains once, on the data before its
    /// first origin, and later origins only compute their feature row (as a model trained
    /// weekly is used between trainings).
    public func selected(by fitted: FittedTreeEnsemble) -> FrozenTreeEnsemble { FrozenTreeEnsemble(fitted: fitted) }
}

/// Trained boosters applied to another series' end: `fit` only takes its last closes.
public struct FrozenTreeEnsemble: ForecastModel {
    public let fitted: FittedTreeEnsemble
    public var name: String { fitted.kind.rawValue }

    public func fit(_ y: [Double]) throws -> FittedTreeEnsemble {
        let needed = fitted.recentCloses.count
        try validateSeries(y, model: name, minimum: needed)
        if let index = y.firstIndex(where: { !($0 > 0) }) {
            throw ForecastError.invalidInput("\(name) models log returns and needs positive prices; value \(index + 1) is \(y[index])")
        }
        return try FittedTreeEnsemble(kind: fitted.kind, features: fitted.features, boosters: fitted.boosters, shrinkage: fitted.shrinkage,
                                      conformal: fitted.conformal,
                                      recentCloses: Array(y.suffix(needed)), observations: y.count)
    }
}

/// A fitted tree ensemble: its boosters (one per horizon), the conformal errors, and the last
/// closes one feature row needs, so it can forecast and take newer closes without the series.
public struct FittedTreeEnsemble: FittedModel {
    public static let stateVersion = 1
    public let kind: TreeEnsembleForecaster.Kind
    let features: ReturnFeatures
    let boosters: [XGBooster]
    /// Per horizon, the factor (in [0, 1]) the booster's prediction is scaled by, fitted on the
    /// held-out origins.
    public let shrinkage: [Double]
    let conformal: SplitConformal
    /// The last `features.firstOrigin + 1` closes: the look-back of one feature row.
    let recentCloses: [Double]
    public let observations: Int
    /// The boosters' predicted log returns at the last close, h = 1…H.
    public let logReturns: [Double]

    init(kind: TreeEnsembleForecaster.Kind, features: ReturnFeatures, boosters: [XGBooster], shrinkage: [Double],
         conformal: SplitConformal, recentCloses: [Double], observations: Int) throws {
        precondition(shrinkage.count == boosters.count, "one shrinkage factor per booster")
        self.kind = kind
        self.features = features
        self.boosters = boosters
        self.shrinkage = shrinkage
        self.conformal = conformal
        self.recentCloses = recentCloses
        self.observations = observations
        let last = recentCloses.count - 1
        let row = features.matrix(closes: recentCloses, origins: last...last)
        logReturns = try zip(boosters, shrinkage).map { booster, factor in factor * Double(try booster.predict(row, rows: 1, columns: row.count)[0]) }
        if let bad = logReturns.firstIndex(where: { !$0.isFinite }) {
            throw ForecastError.fitFailed(model: kind.rawValue, reason: "the horizon-\(bad + 1) prediction is not a finite number")
        }
    }

    public var spec: String {
        let method = switch kind {
        case .gradientBoosting: "XGBoost gradient-boosted trees"
        case .randomForest: "XGBoost random forest"
        }
        let factors = shrinkage.map { String(format: "%.2f", $0) }.joined(separator: "/")
        return "\(method) on \(features.count(withWeekday: false)) return features, direct to h=\(boosters.count), "
            + "predictions scaled by \(factors) (held-out least squares); \(conformal.description)"
    }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        conformal.forecast(lastClose: recentCloses[recentCloses.count - 1], logReturns: logReturns, horizon: horizon, levels: levels)
    }

    // The boosters travel as XGBoost's own serialised models.
    enum CodingKeys: String, CodingKey {
        case kind, features, boosters, shrinkage, conformal, observations
        case recentCloses = "recent_closes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let buffers = try container.decode([Data].self, forKey: .boosters)
        try self.init(kind: try container.decode(TreeEnsembleForecaster.Kind.self, forKey: .kind),
                      features: try container.decode(ReturnFeatures.self, forKey: .features),
                      boosters: try buffers.map { try XGBooster(serialized: Array($0)) },
                      shrinkage: try container.decode([Double].self, forKey: .shrinkage),
                      conformal: try container.decode(SplitConformal.self, forKey: .conformal),
                      recentCloses: try container.decode([Double].self, forKey: .recentCloses),
                      observations: try container.decode(Int.self, forKey: .observations))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(features, forKey: .features)
        try container.encode(try boosters.map { Data(try $0.serialized()) }, forKey: .boosters)
        try container.encode(shrinkage, forKey: .shrinkage)
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
        return try FittedTreeEnsemble(kind: kind, features: features, boosters: boosters, shrinkage: shrinkage, conformal: conformal,
                                      recentCloses: Array((recentCloses + newer).suffix(recentCloses.count)),
                                      observations: observations + newer.count)
    }
}
