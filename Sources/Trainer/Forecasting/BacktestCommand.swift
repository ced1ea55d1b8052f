import ArgumentParser
import Forecasting
import Foundation
import Shared

/// `Trainer backtest`: rolling-origin evaluation of every model on every series.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Rolling-origin evaluation of every model on every series in FILE.",
        discussion: """
            Origins are n − H, n − H − S, … (K of them, at least 30 observations of training each);
            at each, every model is fitted on the data before the origin (the last W points when
            --window is set) and forecasts H steps. Metrics per model and horizon: MASE (scaled by
            the in-sample one-step naive MAE), sMAPE, RMSE, directional accuracy, 80/95% interval
            coverage and skill vs naive. The ensemble's weights at each origin come only from earlier
            origins. Input as for `forecast`; prints one JSON object per series.
            """)

    @Option(help: "Steps forecast from each origin.") var horizon: Int
    @Option(help: "Number of origins K.") var origins: Int = 10
    @Option(help: "Spacing S between origins (default: the horizon).") var step: Int?
    @Option(help: "Cap on the training window at each origin.") var window: Int?
    @Option(help: "Comma-separated models (default: every model that applies, and the ensemble).") var models: String?
    @OptionGroup var options: SeriesOptions
    @Argument(help: "Input file, or - for stdin.") var file: String

    func validate() throws {
        guard horizon >= 1, origins >= 1 else { throw ValidationError("--horizon and --origins must be at least 1") }
        guard horizon <= SeriesInput.maxHorizon else { throw ValidationError("--horizon must be at most \(SeriesInput.maxHorizon)") }
        if let step, step < 1 { throw ValidationError("--step must be at least 1") }
        if let window, window < 3 { throw ValidationError("--window must be at least 3") }
        for name in selectedModels where !ModelCatalog.names.contains(name) {
            throw ValidationError("unknown model \(name); known: \(ModelCatalog.names.joined(separator: ", "))")
        }
        try options.validate()
    }

    private var selectedModels: [String] {
        models.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
    }

    struct ModelRow: Encodable {
        let model: String
        let failedOrigins: Int
        let error: String?
        let horizons: [HorizonAccuracy]
        enum CodingKeys: String, CodingKey { case model, error, horizons, failedOrigins = "failed_origins" }
    }

    struct Row: Encodable {
        let id: String
        let observations: Int
        let plan: BacktestPlan
        let origins: [Int]
        let models: [ModelRow]
        let seconds: Double
    }

    func run() throws {
        // Series run one at a time; each backtest fits its origins in parallel.
        try runOverSeries(file: file, options: options, map: { batch in batch.map { evaluate($0) } },
                          write: { $0.backtest($1) })
    }

    private func evaluate(_ input: Result<SeriesItem, InputFailure>) -> Result<Row, InputFailure> {
        input.flatMap { item in
            let steps = item.horizon ?? horizon
            let plan = BacktestPlan(horizon: steps, origins: origins, step: step ?? steps, window: window)
            guard !plan.originIndices(seriesLength: item.values.count).isEmpty else {
                return .failure(InputFailure(id: item.id, line: item.line, reason:
                    "\(item.values.count) observations leave no origin with \(plan.minimumTraining) training points and \(steps) to score"))
            }
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                let catalog = ModelCatalog(seasonLength: item.seasonLength ?? options.seasonLength, scale: options.scale, horizon: plan.horizon,
                                           irregularity: item.irregularity)
                var names = selectedModels
                if names.isEmpty {
                    names = ModelCatalog.names.filter { $0 != "snaive" || (catalog.seasonLength ?? 1) > 1 }
                }
                let wantsEnsemble = names.contains(Backtest.ensembleName)
                // A model the catalog refuses for this series gets its reason as its row; the rest run.
                let refused = names.compactMap { name in
                    catalog.refusal(of: name).map { ModelRow(model: name, failedOrigins: 0, error: $0, horizons: []) }
                }
                var members = try names.filter { $0 != Backtest.ensembleName && catalog.refusal(of: $0) == nil }
                    .map { try catalog.model(named: $0, for: item.values) }
                if wantsEnsemble && members.count < 2 { members = try catalog.ensembleMembers(for: item.values) }
                let report = Backtest.run(models: members, on: item.values, plan: plan, ensemble: wantsEnsemble)
                let rows = report.models.filter { names.contains($0.model) || $0.model == "naive" }.map {
                    ModelRow(model: $0.model, failedOrigins: $0.failedOrigins, error: $0.byHorizon.isEmpty ? $0.lastError : nil,
                             horizons: $0.byHorizon)
                } + refused
                return .success(Row(id: item.id, observations: item.values.count, plan: plan, origins: report.origins, models: rows,
                                    seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            } catch {
                return .failure(InputFailure(id: item.id, line: item.line, reason: "\(error)"))
            }
        }
    }
}
