import Foundation

/// A weighted combination of other models. Weights are inverse squared mean MASE from a rolling-origin
/// backtest of the members on the series being fitted (`EnsembleWeights`); then every member is
/// refitted on the whole series. Members that cannot be fitted are left out, not fatal.
public struct Ensemble: ForecastModel {
    public let members: [any ForecastModel]
    public let plan: BacktestPlan
    public var name: String { Backtest.ensembleName }

    /// The default plan weighs members on their last ten 5-step forecasts, a week apart.
    public init(members: [any ForecastModel], plan: BacktestPlan = BacktestPlan(horizon: 5, origins: 10, step: 5)) {
        self.members = members
        self.plan = plan
    }

    public func fit(_ y: [Double]) throws -> FittedEnsemble {
        let report = Backtest.run(models: members, on: y, plan: plan)
        return try Self.combine(members: members, weights: EnsembleWeights.inverseSquaredMASE(members.map { report.meanMASE($0.name) }), on: y)
    }

    /// Fits each member on `y` and combines the ones that fit with the given weights.
    public static func combine(members: [any ForecastModel], weights: [Double], on y: [Double]) throws -> FittedEnsemble {
        var fitted: [(name: String, model: any FittedModel)] = []
        var fittedWeights: [Double] = []
        var reasons: [String] = []
        for (model, weight) in zip(members, weights) where weight > 0 {
            do {
                fitted.append((model.name, try model.fitAny(y)))
                fittedWeights.append(weight)
            } catch { reasons.append("\(model.name): \(error)") }
        }
        guard let ensemble = FittedEnsemble(weighing: fitted, by: fittedWeights) else {
            throw ForecastError.fitFailed(model: Backtest.ensembleName, reason: "no member could be fitted (\(reasons.joined(separator: "; ")))")
        }
        return ensemble
    }
}

public struct FittedEnsemble: FittedModel {
    public static let stateVersion = 1

    public struct Member: Sendable {
        public let name: String
        public let weight: Double
        public let model: any FittedModel
    }

    public let members: [Member]

    public var spec: String {
        "Ensemble, inverse-squared-MASE weights: " + members.map { "\($0.name) \(String(format: "%.2f", $0.weight))" }.joined(separator: ", ")
    }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast {
        EnsembleWeights.combine(members.map { $0.model.forecast(horizon: horizon, levels: levels) }, weights: members.map(\.weight))!
    }

    // Members are stored as artifacts, so each keeps its own type and state version.
    private struct StoredMember: Codable {
        let name: String
        let weight: Double
        let artifact: ModelArtifact
    }

    public init(members: [Member]) { self.members = members }

    /// The members with a positive weight, their weights rescaled to sum to 1; nil if none has one.
    public init?(weighing fitted: [(name: String, model: any FittedModel)], by weights: [Double]) {
        let kept = zip(fitted, weights).filter { $0.1 > 0 }
        let total = kept.map(\.1).reduce(0, +)
        guard !kept.isEmpty, total > 0 else { return nil }
        members = kept.map { Member(name: $0.0.name, weight: $0.1 / total, model: $0.0.model) }
    }

    public init(from decoder: any Decoder) throws {
        members = try [StoredMember](from: decoder).map {
            Member(name: $0.name, weight: $0.weight, model: try $0.artifact.decode())
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try members.map { StoredMember(name: $0.name, weight: $0.weight, artifact: try ModelArtifact($0.model)) }.encode(to: encoder)
    }
}
