import Foundation

/// Where a rolling-origin backtest forecasts from. Origin t means: fit on y[..<t] (the most
/// recent `window` observations of it when a window is set) and forecast y[t..<t+horizon].
/// The last origin is n − horizon, so the last forecast ends on the last observation; the
/// others are `step` apart before it. Origins that would leave fewer than `minimumTraining`
/// observations are dropped, not shortened.
public struct BacktestPlan: Sendable, Codable, Equatable {
    public let horizon: Int
    public let origins: Int
    public let step: Int
    public let window: Int?
    public let minimumTraining: Int

    public init(horizon: Int, origins: Int, step: Int, window: Int? = nil, minimumTraining: Int = 30) {
        precondition(horizon >= 1 && origins >= 1 && step >= 1, "horizon, origins and step must be positive")
        self.horizon = horizon
        self.origins = origins
        self.step = step
        self.window = window
        self.minimumTraining = minimumTraining
    }

    /// Origin indices in increasing order for a series of `count` observations.
    public func originIndices(seriesLength count: Int) -> [Int] {
        let last = count - horizon
        guard last >= minimumTraining else { return [] }
        // Only the origins that fit: `origins` may be far more than the series holds.
        let fitting = min(origins, (last - minimumTraining) / step + 1)
        return (0..<fitting).reversed().map { last - $0 * step }
    }

    /// The training range for an origin.
    public func trainingRange(origin: Int) -> Range<Int> {
        (window.map { max(0, origin - $0) } ?? 0)..<origin
    }
}

/// Rolling-origin evaluation of several models on one series, plus an ensemble of them whose
/// weights at each origin come only from the members' errors at earlier origins — so the
/// ensemble's own accuracy is measured out of sample like everyone else's.
public struct BacktestReport: Sendable {
    public struct ModelResult: Sendable {
        public let model: String
        /// One entry per horizon 1…H that had at least one forecast.
        public let byHorizon: [HorizonAccuracy]
        /// Origins where fitting failed (the error of the last failure is kept).
        public let failedOrigins: Int
        public let lastError: String?
    }

    public let plan: BacktestPlan
    public let origins: [Int]
    public let models: [ModelResult]

    public func result(for model: String) -> ModelResult? { models.first { $0.model == model } }

    /// Mean MASE over horizons for a model, nil if it never forecast.
    public func meanMASE(_ model: String) -> Double? {
        guard let result = result(for: model), !result.byHorizon.isEmpty else { return nil }
        return result.byHorizon.map(\.mase).reduce(0, +) / Double(result.byHorizon.count)
    }
}

public enum Backtest {
    public static let levels = [0.8, 0.95]
    public static let ensembleName = "ensemble"

    /// Runs every model at every origin (origins in parallel) and scores them. `naive` is the
    /// reference for skill and is added if missing. With `ensemble`, an inverse-squared-MASE ensemble
    /// of the given models is scored too (see `EnsembleWeights`).
    public static func run(models: [any ForecastModel], on y: [Double], plan: BacktestPlan, ensemble: Bool = false) -> BacktestReport {
        var models = models
        if !models.contains(where: { $0.name == "naive" }) { models.insert(Naive(), at: 0) }
        let origins = plan.originIndices(seriesLength: y.count)
        let forecasts = forecastsByOrigin(models: models, y: y, plan: plan, origins: origins)

        var names = models.map(\.name)
        var table = forecasts  // [origin][model]
        if ensemble {
            let memberNames = models.map(\.name)
            var weightsHistory = EnsembleWeights.Tracker(members: memberNames.count)
            for (row, origin) in origins.enumerated() {
                let scale = ForecastMetrics.naiveScale(y[plan.trainingRange(origin: origin)])
                let members = forecasts[row].map { $0.forecast }
                let combined = EnsembleWeights.combine(members, weights: weightsHistory.weights())
                table[row].append(OriginForecast(forecast: combined, error: combined == nil ? "no member forecast" : nil))
                weightsHistory.record(members: members, actual: Array(y[origin..<(origin + plan.horizon)]), scale: scale)
            }
            names.append(ensembleName)
        }
        return score(names: names, table: table, y: y, plan: plan, origins: origins)
    }

    struct OriginForecast: Sendable {
        let forecast: Forecast?
        let error: String?
    }

    /// Every model at every origin. A `SpecificationSelecting` model selects its specification
    /// at the first origin and re-estimates that one at the later origins.
    private static func forecastsByOrigin(models: [any ForecastModel], y: [Double], plan: BacktestPlan, origins: [Int]) -> [[OriginForecast]] {
        guard !origins.isEmpty else { return [] }
        @Sendable func run(_ model: any ForecastModel, row: Int) -> (OriginForecast, (any FittedModel)?) {
            let training = Array(y[plan.trainingRange(origin: origins[row])])
            do {
                let fitted = try model.fitAny(training)
                return (OriginForecast(forecast: fitted.forecast(horizon: plan.horizon, levels: levels), error: nil), fitted)
            } catch {
                return (OriginForecast(forecast: nil, error: "\(error)"), nil)
            }
        }
        // First origin: each model as given (full selection), models in parallel.
        let first = parallelMap(models) { model -> (OriginForecast, any ForecastModel) in
            let (forecast, fitted) = run(model, row: 0)
            guard let selecting = model as? any SpecificationSelecting, let fitted else { return (forecast, model) }
            return (forecast, frozen(selecting, fitted))
        }
        let laterModels = first.map(\.1)
        let later = parallelMap(Array(origins.indices.dropFirst())) { row in laterModels.map { run($0, row: row).0 } }
        return [first.map(\.0)] + later
    }

    /// The specification a selecting model chose in `fitted` (opens the existential).
    private static func frozen<M: SpecificationSelecting>(_ model: M, _ fitted: any FittedModel) -> any ForecastModel {
        guard let fitted = fitted as? M.Fitted else { return model }
        return model.selected(by: fitted)
    }

    private static func score(names: [String], table: [[OriginForecast]], y: [Double], plan: BacktestPlan, origins: [Int]) -> BacktestReport {
        var cells = Array(repeating: Array(repeating: AccuracyAccumulator(), count: plan.horizon), count: names.count)
        var failures = Array(repeating: 0, count: names.count)
        var lastErrors = [String?](repeating: nil, count: names.count)
        for (row, origin) in origins.enumerated() {
            let training = plan.trainingRange(origin: origin)
            let scale = ForecastMetrics.naiveScale(y[training])
            let last = y[origin - 1]
            for column in names.indices {
                guard let forecast = table[row][column].forecast, scale > 0 else {
                    if table[row][column].forecast == nil {
                        failures[column] += 1
                        lastErrors[column] = table[row][column].error
                    }
                    continue
                }
                for step in 0..<plan.horizon where forecast.mean[step].isFinite {
                    cells[column][step].add(actual: y[origin + step], last: last, scale: scale, forecast: forecast, step: step)
                }
            }
        }
        let naiveColumn = names.firstIndex(of: "naive")!
        let naiveMASE = (0..<plan.horizon).map { cells[naiveColumn][$0].result(horizon: $0 + 1, naiveMASE: nil)?.mase }
        let models = names.indices.map { column in
            BacktestReport.ModelResult(
                model: names[column],
                byHorizon: (0..<plan.horizon).compactMap { cells[column][$0].result(horizon: $0 + 1, naiveMASE: naiveMASE[$0]) },
                failedOrigins: failures[column], lastError: lastErrors[column])
        }
        return BacktestReport(plan: plan, origins: origins, models: models)
    }
}
