import Foundation

/// Fits every admissible ETS model and keeps the one with the smallest AICc (HKOS §7.2;
/// Hyndman & Khandakar 2008).
///
/// Candidates: error A or M × trend N, A or Ad × season N, A or M (seasons only when
/// seasonLength > 1 and there are two full cycles). As in forecast::ets with `restrict = TRUE`,
/// additive errors are not paired with a multiplicative season (the forecast variance can be
/// infinite and the fit is numerically fragile), and multiplicative errors or seasons are only
/// tried on strictly positive series.
public struct AutoETS: ForecastModel {
    public let seasonLength: Int
    public var name: String { "ets" }

    public init(seasonLength: Int = 1) {
        precondition(seasonLength >= 1, "a season has at least one observation")
        self.seasonLength = seasonLength
    }

    func candidates(positive: Bool, count: Int) -> [ETS] {
        let seasonal = seasonLength > 1 && count >= 2 * seasonLength
        let seasons: [ETS.Component?] = seasonal ? (positive ? [nil, .additive, .multiplicative] : [nil, .additive]) : [nil]
        let errors: [ETS.Component] = positive ? [.additive, .multiplicative] : [.additive]
        var models: [ETS] = []
        for error in errors {
            for trend in ETS.Trend.allCases {
                for season in seasons where !(error == .additive && season == .multiplicative) {
                    models.append(ETS(error: error, trend: trend, season: season, seasonLength: seasonal ? seasonLength : 1))
                }
            }
        }
        return models
    }

    public func fit(_ y: [Double]) throws -> FittedETS {
        try validateSeries(y, model: name, minimum: 5)
        let positive = y.allSatisfy { $0 > 0 }
        var best: FittedETS? = nil
        var firstError: Error? = nil
        for model in candidates(positive: positive, count: y.count) {
            do {
                let fitted = try model.fit(y)
                if fitted.aicc.isFinite, fitted.aicc < best?.aicc ?? .infinity { best = fitted }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        guard let best else {
            throw firstError ?? ForecastError.fitFailed(model: name, reason: "no ETS model could be fitted")
        }
        return best
    }
}

extension AutoETS: SpecificationSelecting {
    public func selected(by fitted: FittedETS) -> ETS {
        ETS(error: fitted.error, trend: fitted.trend, season: fitted.season, seasonLength: fitted.seasonLength)
    }
}
