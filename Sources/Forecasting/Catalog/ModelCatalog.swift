import Foundation

/// The models StockHub offers by name (CLI `--model`, forecast documents, ensembles), and how
/// each is applied to prices.
public struct ModelCatalog: Sendable {
    /// How the statistical models see the series. `auto` fits on logs when every value is
    /// positive (prices) and on the raw values otherwise. Baselines always use raw values: they
    /// are the textbook benchmarks.
    public enum Scale: String, Sendable, CaseIterable {
        case auto, log, raw
    }

    public static let names = ["naive", "snaive", "drift", "arima", "ets", "prophet", "xgboost", "random_forest", "lstm", Backtest.ensembleName]

    /// The learned models forecast each horizon directly up to this many steps; further steps
    /// extend the last one.
    public static let maximumDirectHorizon = 20

    /// The models whose features are returns over consecutive closes.
    public static let learnedNames = ["xgboost", "random_forest", "lstm"]

    public let seasonLength: Int?
    public let scale: Scale
    /// Steps the learned models are trained for (at most `maximumDirectHorizon`).
    public let horizon: Int
    /// Why the closes are not one per trading day (only their dates can tell, which this
    /// catalog never sees), or nil. The learned models refuse such a series with it.
    public let irregularity: String?

    /// - Parameters:
    ///   - seasonLength: observations per cycle; below 1 means none (callers are meant to refuse
    ///     such input first, with their own message).
    ///   - horizon: the steps forecasts will be asked for (the learned models train one
    ///     predictor per step).
    ///   - irregularity: a gap in the series' dates, said in words (see the property).
    public init(seasonLength: Int? = nil, scale: Scale = .auto, horizon: Int = 5, irregularity: String? = nil) {
        self.seasonLength = seasonLength.flatMap { $0 >= 1 ? $0 : nil }
        self.scale = scale
        self.horizon = min(max(horizon, 1), Self.maximumDirectHorizon)
        self.irregularity = irregularity
    }

    /// Why the catalog will not offer `name` for this series, if it will not before any fit.
    public func refusal(of name: String) -> String? {
        guard Self.learnedNames.contains(name), let irregularity else { return nil }
        return "\(name): \(irregularity); its features are returns over consecutive trading days"
    }

    /// The model called `name`, set up for series `y` (which decides the scale under `auto`).
    public func model(named name: String, for y: [Double]) throws -> any ForecastModel {
        if let refusal = refusal(of: name) { throw ForecastError.invalidInput(refusal) }
        switch name {
        case "naive": return Naive()
        case "drift": return Drift()
        case "snaive":
            guard let seasonLength, seasonLength > 1 else {
                throw ForecastError.invalidInput("snaive needs a season length above 1 (season_length)")
            }
            return SeasonalNaive(seasonLength: seasonLength)
        case Backtest.ensembleName:
            return Ensemble(members: try ensembleMembers(for: y))
        case "xgboost": return TreeEnsembleForecaster(.gradientBoosting, horizon: horizon)
        case "random_forest": return TreeEnsembleForecaster(.randomForest, horizon: horizon)
        case "lstm": return LSTMForecaster(horizon: horizon)
        default:
            guard let model = try statisticalModel(named: name, for: y) else {
                throw ForecastError.invalidInput("unknown model \(name); known: \(Self.names.joined(separator: ", "))")
            }
            return model
        }
    }

    /// The members of the ensemble: the baselines, every statistical model and, on positive
    /// series with no gap (they model log returns over consecutive closes), the learned ones.
    public func ensembleMembers(for y: [Double]) throws -> [any ForecastModel] {
        var members: [any ForecastModel] = [Naive(), Drift()]
        for name in Self.statisticalNames { if let model = try statisticalModel(named: name, for: y) { members.append(model) } }
        if irregularity == nil && y.allSatisfy({ $0 > 0 }) {
            members += [TreeEnsembleForecaster(.gradientBoosting, horizon: horizon), TreeEnsembleForecaster(.randomForest, horizon: horizon),
                        LSTMForecaster(horizon: horizon)]
        }
        return members
    }

    func usesLog(_ y: [Double]) throws -> Bool {
        switch scale {
        case .raw: return false
        case .log:
            if let index = y.firstIndex(where: { !($0 > 0) }) {
                throw ForecastError.invalidInput("--scale log needs positive values; value \(index + 1) is \(y[index])")
            }
            return true
        case .auto: return y.allSatisfy { $0 > 0 }
        }
    }
}
