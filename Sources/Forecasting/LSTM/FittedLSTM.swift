import Foundation

/// A trained LSTM: its weights, the standardisation it was trained with, the window it forecasts
/// from and the held-out errors its intervals come from.
public struct FittedLSTM: FittedModel, Equatable {
    public static let stateVersion = 1

    let network: LSTMNetwork
    let scaling: ReturnScaling
    /// The last `window` log returns, oldest first: the next forecast's input.
    let recentReturns: [Double]
    public let lastClose: Double
    let conformal: SplitConformal
    /// The epoch whose weights were kept; 0 is the untrained network, which forecasts no change.
    public let stoppedEpoch: Int

    init(network: LSTMNetwork, scaling: ReturnScaling, recentReturns: [Double], lastClose: Double,
         conformal: SplitConformal, stoppedEpoch: Int) {
        self.network = network
        self.scaling = scaling
        self.recentReturns = recentReturns
        self.lastClose = lastClose
        self.conformal = conformal
        self.stoppedEpoch = stoppedEpoch
    }

    public var window: Int { recentReturns.count }
    /// Horizons predicted directly; longer forecasts extend the last.
    public var horizon: Int { network.outputSize }

    public var spec: String {
        "LSTM(\(window)→\(network.hiddenSize)→\(horizon)), Adam, early stopping at epoch \(stoppedEpoch); \(conformal.description)"
    }

    /// Predicted log returns from the last close to each of the next `horizon` closes.
    func predictedLogReturns() -> [Double] {
        network.predict(recentReturns.map(scaling.input)).enumerated().map {
            scaling.cumulativeReturn(output: $1, horizon: $0 + 1)
        }
    }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        conformal.forecast(lastClose: lastClose, logReturns: predictedLogReturns(), horizon: horizon, levels: levels)
    }

    /// The same model forecasting from another window and close.
    func reading(recentReturns: [Double], lastClose: Double) -> FittedLSTM {
        FittedLSTM(network: network, scaling: scaling, recentReturns: recentReturns, lastClose: lastClose,
                   conformal: conformal, stoppedEpoch: stoppedEpoch)
    }

    // Checked on load: a corrupt or foreign artifact is a decoding error, not a crash or a NaN forecast.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(network: try container.decode(LSTMNetwork.self, forKey: .network),
                  scaling: try container.decode(ReturnScaling.self, forKey: .scaling),
                  recentReturns: try container.decode([Double].self, forKey: .recentReturns),
                  lastClose: try container.decode(Double.self, forKey: .lastClose),
                  conformal: try container.decode(SplitConformal.self, forKey: .conformal),
                  stoppedEpoch: try container.decode(Int.self, forKey: .stoppedEpoch))
        guard network.inputSize == 1, !recentReturns.isEmpty, recentReturns.allSatisfy(\.isFinite),
              lastClose > 0, lastClose.isFinite, scaling.standardDeviation > 0, scaling.standardDeviation.isFinite,
              scaling.mean.isFinite, conformal.horizons == network.outputSize
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "inconsistent LSTM state"))
        }
    }
}

extension FittedLSTM: UpdatableModel {
    /// Slides the window over the newer closes; weights, standardisation and intervals stay.
    /// Equal to `FrozenLSTM(trained: self).fit` on the longer series.
    public func updated(with newer: [Double]) throws -> FittedLSTM {
        try validateNewer(newer, model: "lstm")
        guard let newest = newer.last else { return self }
        try ReturnWindows.validatePrices(newer, label: "newer close")
        let returns = recentReturns + ReturnWindows.logReturns([lastClose] + newer)
        return reading(recentReturns: Array(returns.suffix(window)), lastClose: newest)
    }
}
