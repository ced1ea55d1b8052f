import Foundation

/// Fits a model on log prices and maps its forecast back with exp. Log prices turn
/// multiplicative moves into additive ones and keep every forecast and interval positive.
/// Quantiles map exactly, so the intervals keep their coverage; the point forecast becomes the
/// median of the price forecast (the mean would be exp(μ + σ²/2), a bias below 0.1% for daily
/// horizons).
public struct OnLogScale<Base: ForecastModel>: ForecastModel {
    public let base: Base
    public var name: String { base.name }
    public init(_ base: Base) { self.base = base }

    public func fit(_ y: [Double]) throws -> FittedOnLogScale<Base.Fitted> {
        if let index = y.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
            throw ForecastError.invalidInput("\(name) on log prices needs positive values; value \(index + 1) is \(y[index])")
        }
        return FittedOnLogScale(base: try base.fit(y.map { log($0) }))
    }
}

public struct FittedOnLogScale<Base: FittedModel>: FittedModel {
    public static var stateVersion: Int { Base.stateVersion }
    public let base: Base
    public var spec: String { "\(base.spec), on log prices" }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        base.forecast(horizon: horizon, levels: levels).mapped { exp($0) }
    }
}

extension OnLogScale: SpecificationSelecting where Base: SpecificationSelecting {
    public func selected(by fitted: FittedOnLogScale<Base.Fitted>) -> OnLogScale<Base.Selected> {
        OnLogScale<Base.Selected>(base.selected(by: fitted.base))
    }
}

extension FittedOnLogScale: UpdatableModel where Base: UpdatableModel {
    public func updated(with newer: [Double]) throws -> FittedOnLogScale<Base> {
        if let index = newer.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
            throw ForecastError.invalidInput("a model on log prices needs positive values; newer value \(index + 1) is \(newer[index])")
        }
        return FittedOnLogScale(base: try base.updated(with: newer.map { log($0) }))
    }
}
