import Forecasting
import Foundation

/// The expensive half of a forecast document: every catalog model fitted on the symbol's
/// recent window and scored by a rolling-origin backtest on its history. Fitted by a train or
/// predict job, stored as artifacts (`ModelStore`), and turned into documents cheaply.
public struct TrainedModels: Sendable {
    public enum Source: String, Sendable, Codable, Equatable {
        /// Loaded from the symbol's artifacts, written by an earlier training.
        case stored
        /// Fitted for the request at hand.
        case fit
    }

    public struct Member: Sendable {
        public let name: String
        public let model: any FittedModel
        /// The backtest's figures at the document's horizons; nil when it never forecast.
        public let accuracy: ForecastDocument.Accuracy?
        /// Mean MASE over the backtest's horizons: the ensemble's weight comes from it.
        public let meanMASE: Double?
        public let trainedAt: Date
        public let source: Source

        public init(name: String, model: any FittedModel, accuracy: ForecastDocument.Accuracy?, meanMASE: Double?,
                    trainedAt: Date, source: Source) {
            self.name = name
            self.model = model
            self.accuracy = accuracy
            self.meanMASE = meanMASE
            self.trainedAt = trainedAt
            self.source = source
        }
    }

    public let members: [Member]
    /// The ensemble's own backtest figures (weights from earlier origins only).
    public let ensembleAccuracy: ForecastDocument.Accuracy?
    /// Observations in the fit window.
    public let observations: Int
    /// The first and last dates of the fit window: what the models have seen.
    public let firstDate: String
    public let lastDate: String
    /// Observations the models took after their fit without refitting (`updated(to:)`).
    public let newerObservations: Int
    /// Catalog models that could not be fitted on this series, with the model's reason.
    public let unavailable: [ForecastDocument.UnavailableModel]

    public init(members: [Member], ensembleAccuracy: ForecastDocument.Accuracy?, observations: Int, firstDate: String, lastDate: String,
                newerObservations: Int = 0, unavailable: [ForecastDocument.UnavailableModel] = []) {
        self.members = members
        self.ensembleAccuracy = ensembleAccuracy
        self.observations = observations
        self.firstDate = firstDate
        self.lastDate = lastDate
        self.newerObservations = newerObservations
        self.unavailable = unavailable
    }

    /// Newer observations beyond this many are a reason to refit rather than filter forward:
    /// a weekly trainer leaves a handful; a quarter's worth means training has stopped.
    public static let maximumNewerObservations = 63

    /// Why stored models cannot simply take the series' newer observations.
    public struct UpdateRefused: Error, CustomStringConvertible {
        public let description: String
    }

    /// These models brought up to the end of `series` without refitting: each runs forward over
    /// the observations after `lastDate` with its parameters kept (see `UpdatableModel`), and
    /// keeps its backtest figures. `self` when nothing is newer.
    public func updated(to series: DailySeries) throws(UpdateRefused) -> TrainedModels {
        guard series.dates.last != lastDate else { return self }
        guard let index = series.dates.lastIndex(of: lastDate) else {
            throw UpdateRefused(description: "stored models were trained on data through \(lastDate), which the data (through \(series.dates.last ?? "?")) does not contain")
        }
        let newer = Array(series.closes[(index + 1)...])
        guard newer.count <= Self.maximumNewerObservations else {
            throw UpdateRefused(description: "stored models were trained on data through \(lastDate), \(newer.count) observations ago (more than \(Self.maximumNewerObservations))")
        }
        var updated: [Member] = []
        for member in members {
            let model: (any FittedModel)?
            do { model = try member.model.updatedIfPossible(with: newer) } catch {
                throw UpdateRefused(description: "stored \(member.name) could not take the \(newer.count) observations after \(lastDate): \(error)")
            }
            guard let model else { throw UpdateRefused(description: "stored \(member.name) cannot take newer observations without a refit") }
            updated.append(Member(name: member.name, model: model, accuracy: member.accuracy, meanMASE: member.meanMASE,
                                  trainedAt: member.trainedAt, source: member.source))
        }
        return TrainedModels(members: updated, ensembleAccuracy: ensembleAccuracy, observations: observations + newer.count,
                             firstDate: firstDate, lastDate: series.dates[series.dates.count - 1],
                             newerObservations: newerObservations + newer.count, unavailable: unavailable)
    }

    /// Fits every catalog model on the last `ForecastDocument.fitWindow` closes and backtests them.
    /// A gap in the dates that the fits or the backtest would see keeps the learned models out.
    /// - Parameter fitted: told each final fit's model and duration (for metrics); called on the
    ///   fitting thread, so it must be cheap.
    public static func fit(series: DailySeries, plan: BacktestPlan = ForecastDocument.backtestPlan,
                           catalog: ModelCatalog = ModelCatalog(), now: Date = Date(),
                           fitted: (@Sendable (String, Duration) -> Void)? = nil) throws(ForecastDocument.Unavailable) -> TrainedModels {
        let tooShort = ForecastDocument.Unavailable.tooShort(symbol: series.symbol, closes: series.closes.count)
        let window = Array(series.closes.suffix(ForecastDocument.fitWindow))
        guard let firstDate = series.dates.suffix(ForecastDocument.fitWindow).first, let lastDate = series.dates.last else { throw tooShort }
        let seen = max(ForecastDocument.fitWindow, (plan.window ?? series.closes.count) + plan.origins * plan.step + plan.horizon)
        let catalog = ModelCatalog(seasonLength: catalog.seasonLength, scale: catalog.scale, horizon: catalog.horizon,
                                   irregularity: catalog.irregularity ?? series.widestGap(inLast: seen)?.description)
        // Under the default automatic scale choosing the members cannot fail.
        guard let candidates = try? catalog.ensembleMembers(for: window) else { throw tooShort }
        let report = Backtest.run(models: candidates, on: series.closes, plan: plan, ensemble: true)
        func accuracy(_ name: String) -> ForecastDocument.Accuracy? {
            report.result(for: name).flatMap { result in
                let scored = result.byHorizon.filter { ForecastDocument.horizons.contains($0.horizon) }
                guard !scored.isEmpty else { return nil }
                return ForecastDocument.Accuracy(origins: report.origins.count, step: plan.step, window: plan.window,
                                                 failedOrigins: result.failedOrigins, horizons: scored)
            }
        }
        // The final fits are independent of each other: fit them side by side.
        let finalFits = parallelMap(candidates) { model in
            let began = ContinuousClock.now
            defer { fitted?(model.name, began.duration(to: .now)) }
            return Result { try model.fitAny(window) }
        }
        var members: [Member] = []
        var unavailable = ModelCatalog.learnedNames.compactMap { name in
            catalog.refusal(of: name).map { ForecastDocument.UnavailableModel(name: name, reason: $0) }
        }
        for (model, fitted) in zip(candidates, finalFits) {
            switch fitted {
            case .success(let fitted):
                members.append(Member(name: model.name, model: fitted, accuracy: accuracy(model.name), meanMASE: report.meanMASE(model.name),
                                      trainedAt: now, source: .fit))
            case .failure(let error):
                unavailable.append(.init(name: model.name, reason: "\(error)"))
            }
        }
        guard !members.isEmpty else { throw tooShort }
        return TrainedModels(members: members, ensembleAccuracy: accuracy(Backtest.ensembleName), observations: window.count,
                             firstDate: firstDate, lastDate: lastDate, unavailable: unavailable)
    }

    /// The ensemble over the members, weighted by 1/MASE² of their backtests; nil with fewer
    /// than two members or no usable weight. Stored when every member was.
    func ensemble() -> Member? {
        guard members.count > 1 else { return nil }
        let weights = EnsembleWeights.inverseSquaredMASE(members.map(\.meanMASE))
        guard let ensemble = FittedEnsemble(weighing: members.map { (name: $0.name, model: $0.model) }, by: weights) else { return nil }
        let stored = members.allSatisfy { $0.source == .stored }
        return Member(name: Backtest.ensembleName, model: ensemble, accuracy: ensembleAccuracy, meanMASE: nil,
                      trainedAt: members.map(\.trainedAt).max()!, source: stored ? .stored : .fit)
    }
}
