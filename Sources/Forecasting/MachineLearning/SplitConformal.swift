import Foundation

/// Prediction intervals for the learned models (xgboost, random_forest, lstm), which forecast
/// the log return over each horizon directly and have no likelihood to give a variance:
/// split-conformal intervals (Lei, G'Sell, Rinaldo, Tibshirani & Wasserman 2018, §2.2). The
/// model is fitted on earlier origins and scored on later ones it never saw; the interval at
/// level 1 − α is the prediction ± the ⌈(n + 1)(1 − α)⌉-th smallest absolute error of those n
/// held-out forecasts, per horizon. No width is assumed: all of it comes from the residuals.
public struct SplitConformal: Sendable, Codable, Equatable {
    /// Sorted absolute held-out errors on log returns; `absoluteErrors[h]` is horizon h + 1's.
    public let absoluteErrors: [[Double]]

    /// The fewest held-out forecasts per horizon that give a finite 95% interval (⌈0.95·(n+1)⌉ ≤ n).
    public static let minimumCalibration = 19

    /// - Parameter errors: `errors[h]` holds actual − predicted log return at horizon h + 1 for
    ///   each held-out origin. Nil when a horizon has too few finite errors.
    public init?(errors: [[Double]]) {
        var sorted: [[Double]] = []
        for horizon in errors {
            let finite = horizon.filter(\.isFinite).map(abs).sorted()
            guard finite.count >= Self.minimumCalibration else { return nil }
            sorted.append(finite)
        }
        guard !sorted.isEmpty else { return nil }
        absoluteErrors = sorted
    }

    public var horizons: Int { absoluteErrors.count }
    public var calibrationCount: Int { absoluteErrors.first?.count ?? 0 }

    /// The radius at `level` for 1-based horizon h ≤ `horizons`: the ⌈(n + 1)·level⌉-th smallest
    /// error, or the largest when n is too small for that level (then the guarantee is lost).
    func radius(horizon h: Int, level: Double) -> Double {
        let errors = absoluteErrors[h - 1]
        let rank = Int((Double(errors.count + 1) * level).rounded(.up))
        return errors[min(max(rank, 1), errors.count) - 1]
    }

    /// Price forecasts from the last close and predicted log returns for horizons 1…returns.count
    /// (at most `horizons`). Past the last trained horizon H the H-step return is extended at its
    /// per-step rate and the radius grows with √(h/H), as a random walk's would.
    public func forecast(lastClose: Double, logReturns: [Double], horizon: Int, levels: [Double]) -> Forecast {
        let trained = min(logReturns.count, horizons)
        precondition(trained >= 1, "at least one predicted horizon")
        func mean(_ h: Int) -> Double {
            h <= trained ? logReturns[h - 1] : logReturns[trained - 1] * Double(h) / Double(trained)
        }
        func radius(_ h: Int, _ level: Double) -> Double {
            h <= trained ? self.radius(horizon: h, level: level) : self.radius(horizon: trained, level: level) * (Double(h) / Double(trained)).squareRoot()
        }
        let steps = horizon > 0 ? Array(1...horizon) : []
        return Forecast(mean: steps.map { lastClose * exp(mean($0)) },
                        intervals: levels.map { level in
                            Forecast.Interval(level: level,
                                              lower: steps.map { lastClose * exp(mean($0) - radius($0, level)) },
                                              upper: steps.map { lastClose * exp(mean($0) + radius($0, level)) })
                        })
    }

    /// How the intervals were made, for a model's spec.
    public var description: String { "split-conformal intervals from \(calibrationCount) held-out origins" }
}

/// Which forecast origins a learned model fits on and which it is calibrated on. An origin t
/// has features from closes 0…t and targets up to t + H. The calibration origins are the last
/// ones with all H targets; fitting origins end H before the first of them, so no fitted target
/// reaches into the calibration period (a purge) and nothing after t is used at t.
public struct CalibrationSplit: Sendable, Equatable {
    public let fit: ClosedRange<Int>
    public let calibrate: ClosedRange<Int>

    /// - Parameters:
    ///   - firstOrigin: the earliest origin with complete features.
    ///   - count: closes in the series; the last usable origin is count − 1 − horizon.
    ///   - fraction: share of the usable origins held out for calibration (at least
    ///     `SplitConformal.minimumCalibration`).
    ///   - minimumFit: the fewest fitting origins worth a model.
    public init?(firstOrigin: Int, count: Int, horizon: Int, fraction: Double = 0.2, minimumFit: Int = 60) {
        let last = count - 1 - horizon
        guard last >= firstOrigin else { return nil }
        let usable = last - firstOrigin + 1
        let held = max(SplitConformal.minimumCalibration, Int((Double(usable) * fraction).rounded()))
        let calibrationStart = last - held + 1
        let fitEnd = calibrationStart - horizon
        guard fitEnd - firstOrigin + 1 >= minimumFit else { return nil }
        fit = firstOrigin...fitEnd
        calibrate = calibrationStart...last
    }

    /// The fewest closes a split needs.
    public static func minimumCount(firstOrigin: Int, horizon: Int, minimumFit: Int = 60) -> Int {
        firstOrigin + minimumFit + 2 * horizon + SplitConformal.minimumCalibration
    }
}
