import Foundation

/// Point forecasts for steps 1…h and central prediction intervals at the requested levels.
public struct Forecast: Sendable, Equatable {
    public struct Interval: Sendable, Equatable {
        /// Coverage in (0, 1), e.g. 0.8 or 0.95.
        public let level: Double
        public var lower: [Double]
        public var upper: [Double]

        public init(level: Double, lower: [Double], upper: [Double]) {
            self.level = level
            self.lower = lower
            self.upper = upper
        }
    }

    public var mean: [Double]
    public var intervals: [Interval]

    public init(mean: [Double], intervals: [Interval]) {
        self.mean = mean
        self.intervals = intervals
    }

    /// mean ± z(level)·sd for every step: the interval of a Gaussian forecast distribution.
    public static func gaussian(mean: [Double], sd: [Double], levels: [Double]) -> Forecast {
        precondition(mean.count == sd.count, "one standard deviation per step")
        let intervals = levels.map { level in
            let z = Gaussian.quantile(0.5 + level / 2)
            return Interval(level: level,
                            lower: zip(mean, sd).map { $0 - z * $1 },
                            upper: zip(mean, sd).map { $0 + z * $1 })
        }
        return Forecast(mean: mean, intervals: intervals)
    }

    public func interval(level: Double) -> Interval? {
        intervals.first { abs($0.level - level) < 1e-9 }
    }

    public var horizon: Int { mean.count }

    /// The forecast on another scale through a monotone increasing map (e.g. `exp` after a fit
    /// on logs). Quantiles map exactly; the point forecast becomes the median on the new scale.
    public func mapped(_ transform: (Double) -> Double) -> Forecast {
        Forecast(mean: mean.map(transform),
                 intervals: intervals.map { Interval(level: $0.level, lower: $0.lower.map(transform), upper: $0.upper.map(transform)) })
    }
}

/// Why a model could not be fitted or used. Messages name the model and the reason.
public enum ForecastError: Error, Equatable, CustomStringConvertible {
    case tooShort(model: String, needed: Int, got: Int)
    case invalidInput(String)
    case fitFailed(model: String, reason: String)
    case unsupportedArtifact(model: String, version: Int, expected: Int)

    public var description: String {
        switch self {
        case let .tooShort(model, needed, got): "\(model) needs at least \(needed) observations, got \(got)"
        case let .invalidInput(reason): "invalid series: \(reason)"
        case let .fitFailed(model, reason): "\(model) could not be fitted: \(reason)"
        case let .unsupportedArtifact(model, version, expected):
            "\(model) artifact has state version \(version); this build reads version \(expected)"
        }
    }
}

/// A model specification (orders, options). A value: `fit` returns a fitted model and never
/// changes the specification.
public protocol ForecastModel: Sendable {
    associatedtype Fitted: FittedModel
    /// Stable short name used by the CLI, the forecast document and artifact keys.
    var name: String { get }
    /// Fits on observations in time order, oldest first. Throws `ForecastError`.
    func fit(_ y: [Double]) throws -> Fitted
}

/// A fitted model: immutable, encodable as an artifact, able to forecast any horizon.
public protocol FittedModel: Sendable, Codable {
    /// Bumped whenever the encoded state changes shape; old artifacts are then refused.
    static var stateVersion: Int { get }
    /// Human-readable description, e.g. `ARIMA(1,1,0) with drift, on log prices`.
    var spec: String { get }
    /// Forecasts for steps 1…horizon with central intervals at `levels` (each in (0, 1)).
    func forecast(horizon: Int, levels: [Double]) -> Forecast
}

/// A fitted model that takes the observations made after its fit without re-estimating
/// anything: its parameters stay and its state runs forward over the newer data, as a deployed
/// model runs between weekly refits. Costs microseconds where a fit costs milliseconds.
public protocol UpdatableModel: FittedModel {
    /// This model after `newer`, the observations that followed the fitted ones, oldest first.
    /// Throws `ForecastError` when a value is not finite or the state leaves its admissible range.
    func updated(with newer: [Double]) throws -> Self
}

extension FittedModel {
    /// `updated(with:)` for a model of any type; nil when its type cannot be updated.
    public func updatedIfPossible(with newer: [Double]) throws -> (any FittedModel)? {
        guard let updatable = self as? any UpdatableModel else { return nil }
        return try updatable.updated(with: newer)
    }
}

/// Checks observations handed to `updated(with:)`.
func validateNewer(_ newer: [Double], model: String) throws {
    if let index = newer.firstIndex(where: { !$0.isFinite }) {
        throw ForecastError.invalidInput("\(model): newer value \(index + 1) is not a finite number")
    }
}

extension ForecastModel {
    /// Type-erased fit, for catalogs of heterogeneous models.
    public func fitAny(_ y: [Double]) throws -> any FittedModel { try fit(y) }
}

/// A model that makes automatic choices (orders, components) when fitted. Its choice can be
/// frozen: a backtest selects once, on the data before its first origin, and re-estimates the
/// chosen specification at the later origins (no look-ahead, and a fraction of the cost).
public protocol SpecificationSelecting: ForecastModel {
    associatedtype Selected: ForecastModel
    /// The specification `fitted` chose, to be re-estimated on other data.
    func selected(by fitted: Fitted) -> Selected
}

/// Checks a series is usable: finite values and at least `minimum` of them.
public func validateSeries(_ y: [Double], model: String, minimum: Int) throws {
    guard y.count >= minimum else { throw ForecastError.tooShort(model: model, needed: minimum, got: y.count) }
    if let index = y.firstIndex(where: { !$0.isFinite }) {
        throw ForecastError.invalidInput("value \(index + 1) is not a finite number")
    }
}
