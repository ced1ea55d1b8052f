import Foundation

/// A recurrent network on daily log returns: an LSTM reads the last `window` standardised log
/// returns and predicts the cumulative log return to each of the next H closes directly (one
/// output per horizon). Trained with Adam and early stopping on later origins, then scored on
/// the latest origins it never saw for split-conformal intervals. Takes positive prices (closes),
/// oldest first.
public struct LSTMForecaster: ForecastModel {
    public let horizon: Int
    public let seed: UInt64
    /// Log returns per input window.
    var window = 20
    var hiddenSize = 16
    /// Share of the fitting origins, at their end, held out to stop training.
    var validationFraction = 0.15
    var training = LSTMTraining()
    /// Only the latest closes are learned from: training time grows with the origins, and a
    /// longer past says little about today's return dynamics.
    var maximumCount = 1500

    public var name: String { "lstm" }

    /// - Parameters:
    ///   - horizon: trading days forecast directly; longer forecasts extend the last one.
    ///   - seed: the initial weights and the batch order; the same seed and closes give the
    ///     same model bit for bit.
    public init(horizon: Int = 5, seed: UInt64 = 0x5EED_2012) {
        precondition(horizon >= 1, "a horizon of at least one step")
        self.horizon = horizon
        self.seed = seed
    }

    /// The fewest closes a fit needs.
    public var minimumCount: Int {
        LSTMOriginPlan.minimumCount(window: window, horizon: horizon, validationFraction: validationFraction)
    }

    func plan(count: Int) -> LSTMOriginPlan? {
        LSTMOriginPlan(window: window, horizon: horizon, count: count, validationFraction: validationFraction)
    }

    public func fit(_ series: [Double]) throws -> FittedLSTM {
        let y = series.count > maximumCount ? Array(series.suffix(maximumCount)) : series
        let needed = minimumCount
        try validateSeries(y, model: name, minimum: needed)
        try ReturnWindows.validatePrices(y)
        guard let plan = plan(count: y.count) else { throw ForecastError.tooShort(model: name, needed: needed, got: y.count) }
        let windows = ReturnWindows(closes: y, window: window, horizon: horizon)
        guard let scaling = windows.scaling(through: plan.validation.upperBound) else {
            throw ForecastError.invalidInput("lstm: the closes are constant over the fitting period (no return variance to learn from)")
        }

        var generator = SplitMix64(seed: seed)
        let initial = LSTMNetwork(inputSize: 1, hiddenSize: hiddenSize, outputSize: horizon, generator: &generator)
        let outcome = training.train(initial, on: windows.sequences(at: plan.training, scaling: scaling),
                                     validation: windows.sequences(at: plan.validation, scaling: scaling), generator: &generator)

        // Held-out errors on the calibration origins, with the kept weights and no refit.
        let outputs = outcome.network.outputs(for: windows.sequences(at: plan.calibration, scaling: scaling))
        var errors = [[Double]](repeating: [], count: horizon)
        for (row, origin) in plan.calibration.enumerated() {
            for (h, actual) in windows.cumulativeReturns(at: origin).enumerated() {
                errors[h].append(actual - scaling.cumulativeReturn(output: outputs[row * horizon + h], horizon: h + 1))
            }
        }
        guard let conformal = SplitConformal(errors: errors) else {
            throw ForecastError.fitFailed(model: name, reason: "too few finite held-out errors for intervals")
        }
        return FittedLSTM(network: outcome.network, scaling: scaling, recentReturns: Array(windows.returns.suffix(window)),
                          lastClose: y[y.count - 1], conformal: conformal, stoppedEpoch: outcome.epoch)
    }
}

/// Trained weights held fixed: `fit` only reads the series' last window and last close. What a
/// backtest re-fits at its later origins (the weights come from data before the first origin,
/// so nothing is seen ahead) and the same thing `FittedLSTM.updated(with:)` does.
public struct FrozenLSTM: ForecastModel {
    public let trained: FittedLSTM
    public var name: String { "lstm" }

    public init(trained: FittedLSTM) { self.trained = trained }

    public func fit(_ y: [Double]) throws -> FittedLSTM {
        try validateSeries(y, model: name, minimum: trained.window + 1)
        try ReturnWindows.validatePrices(y)
        return trained.reading(recentReturns: ReturnWindows.logReturns(y.suffix(trained.window + 1)), lastClose: y[y.count - 1])
    }
}

extension LSTMForecaster: SpecificationSelecting {
    public func selected(by fitted: FittedLSTM) -> FrozenLSTM { FrozenLSTM(trained: fitted) }
}
