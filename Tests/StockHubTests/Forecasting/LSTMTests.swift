import Foundation
import Testing
@testable import Forecasting

/// Reference LSTM runs from NumPy in PyTorch's conventions (gate order i, f, g, o); see
/// Tests/Vectors/lstm/generate.py for how they were made.
private struct LSTMVectors: Decodable {
    struct Case: Decodable {
        let name: String
        let inputSize: Int, hiddenSize: Int, outputSize: Int, steps: Int, batch: Int
        let weightIH: [[Double]], weightHH: [[Double]], biasIH: [Double], biasHH: [Double]
        let outputWeight: [[Double]], outputBias: [Double]
        let inputs: [[[Double]]], targets: [[Double]]
        let hidden: [[[Double]]]
        let outputs: [[Double]]
        let loss: Double

        enum CodingKeys: String, CodingKey {
            case name, steps, batch, inputs, targets, hidden, outputs, loss
            case inputSize = "input_size", hiddenSize = "hidden_size", outputSize = "output_size"
            case weightIH = "weight_ih", weightHH = "weight_hh", biasIH = "bias_ih", biasHH = "bias_hh"
            case outputWeight = "output_weight", outputBias = "output_bias"
        }

        /// Our layout: each gate row is [weight_ih row, weight_hh row]; one bias, their sum.
        func network(readOut: [[Double]]? = nil, readOutBias: [Double]? = nil) -> LSTMNetwork {
            let readOut = readOut ?? outputWeight, readOutBias = readOutBias ?? outputBias
            let gates = zip(weightIH, weightHH).flatMap { $0 + $1 }
            return LSTMNetwork(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: readOutBias.count,
                               parameters: gates + zip(biasIH, biasHH).map(+) + readOut.flatMap { $0 } + readOutBias)
        }

        func sequences(outputSize: Int? = nil) -> SequenceSet {
            var set = SequenceSet(steps: steps, inputSize: inputSize, outputSize: outputSize ?? self.outputSize)
            for (sequence, target) in zip(inputs, targets) {
                set.append(inputs: sequence.flatMap { $0 }, targets: outputSize.map { Array(repeating: 0, count: $0) } ?? target)
            }
            return set
        }
    }
    let gateOrder: [String]
    let cases: [Case]
    enum CodingKeys: String, CodingKey { case cases, gateOrder = "gate_order" }
}

@Suite("Forecasting: the LSTM model (network maths, training, intervals, artifacts)")
struct LSTMTests {
    /// A positive random walk with drift and a weekly pattern: a price-like series.
    func prices(_ count: Int, seed: UInt64) -> [Double] {
        var generator = SplitMix64(seed: seed)
        var level = 100.0
        return (0..<count).map { t in
            level *= exp(0.0004 + 0.012 * generator.nextGaussian())
            return level * (1 + 0.003 * sin(2 * Double.pi * Double(t) / 5))
        }
    }

    func encoded(_ fitted: FittedLSTM) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(fitted)
    }

    // MARK: network maths

    @Test func forwardPassMatchesTheNumPyReferenceInPyTorchGateOrder() throws {
        let vectors: LSTMVectors = try referenceVectors("lstm/vectors.json")
        #expect(vectors.gateOrder == ["i", "f", "g", "o"])
        for c in vectors.cases {
            let network = c.network()
            let batched = network.outputs(for: c.sequences())
            for b in 0..<c.batch {
                let single = network.predict(c.inputs[b].flatMap { $0 })
                for k in 0..<c.outputSize {
                    #expect(abs(batched[b * c.outputSize + k] - c.outputs[b][k]) <= 1e-6, "\(c.name) batched output \(b),\(k)")
                    #expect(abs(single[k] - c.outputs[b][k]) <= 1e-6, "\(c.name) single output \(b),\(k)")
                }
            }
            #expect(abs(network.lossAndGradient(on: c.sequences()).loss - c.loss) <= 1e-6 * max(1, c.loss), "\(c.name) loss")

            // An identity read-out exposes the last hidden state itself.
            let identity = (0..<c.hiddenSize).map { row in (0..<c.hiddenSize).map { $0 == row ? 1.0 : 0.0 } }
            let hidden = c.network(readOut: identity, readOutBias: Array(repeating: 0, count: c.hiddenSize))
                .outputs(for: c.sequences(outputSize: c.hiddenSize))
            for b in 0..<c.batch {
                for j in 0..<c.hiddenSize {
                    #expect(abs(hidden[b * c.hiddenSize + j] - c.hidden[b][c.steps - 1][j]) <= 1e-6, "\(c.name) h_T \(b),\(j)")
                }
            }
        }
    }

    @Test func analyticGradientsEqualCentralDifferences() {
        var generator = SplitMix64(seed: 42)
        var network = LSTMNetwork(inputSize: 2, hiddenSize: 3, outputSize: 2, generator: &generator)
        // Every weight away from its initial value (the read-out starts at zero), gates partly saturated.
        network.parameters = network.parameters.map { _ in 1.6 * (generator.nextUnit() - 0.5) }
        var set = SequenceSet(steps: 4, inputSize: 2, outputSize: 2)
        for _ in 0..<3 {
            set.append(inputs: (0..<8).map { _ in generator.nextGaussian() }, targets: [generator.nextGaussian(), generator.nextGaussian()])
        }
        let analytic = network.lossAndGradient(on: set).gradient
        let step = 1e-5
        for k in network.parameters.indices {
            var up = network, down = network
            up.parameters[k] += step
            down.parameters[k] -= step
            let numeric = (up.lossAndGradient(on: set).loss - down.lossAndGradient(on: set).loss) / (2 * step)
            let scale = max(abs(analytic[k]), abs(numeric), 1e-6)
            #expect(abs(analytic[k] - numeric) / scale <= 1e-4, "weight \(k): analytic \(analytic[k]), numeric \(numeric)")
        }
    }

    // MARK: training

    @Test func learnsANoiselessSine() throws {
        // log p_t = 0.05 sin(2πt/20): every window of 20 returns fixes the phase, so the future is determined.
        let logPrice = { (t: Int) in 0.05 * sin(2 * Double.pi * Double(t) / 20) }
        let y = (0..<600).map { exp(logPrice($0)) }
        let fitted = try LSTMForecaster().fit(y)
        let predicted = fitted.predictedLogReturns()
        // h-step log returns here span up to ±0.1; the default training gets within 2% of that.
        let tolerance = 0.02 * 0.1
        for h in 1...5 {
            let actual = logPrice(599 + h) - logPrice(599)
            #expect(abs(predicted[h - 1] - actual) <= tolerance, "h=\(h): \(predicted[h - 1]) vs \(actual)")
        }
        // Held-out calibration errors: the 95% radius is as small.
        for h in 1...5 { #expect(fitted.conformal.radius(horizon: h, level: 0.95) <= tolerance, "h=\(h) radius") }
        #expect(fitted.stoppedEpoch > 0)
    }

    @Test func fittingTwiceGivesTheSameArtifactBitForBit() throws {
        let y = prices(400, seed: 1)
        let first = try encoded(LSTMForecaster().fit(y))
        #expect(try encoded(LSTMForecaster().fit(y)) == first)
        // Also when fits run side by side on several threads (OpenBLAS threading must not enter).
        let parallel = parallelMap([0, 1, 2, 3], jobs: 4) { _ in try? encoded(LSTMForecaster().fit(y)) }
        #expect(parallel.allSatisfy { $0 == first })
        // Another seed is another model.
        #expect(try encoded(LSTMForecaster(seed: 7).fit(y)) != first)
    }

    @Test func weightsIgnoreClosesAfterTheLastFittingTarget() throws {
        let model = LSTMForecaster()
        let y = prices(400, seed: 2)
        let plan = try #require(model.plan(count: y.count))
        // The last fitting target is the last validation origin plus H: the first calibration origin.
        #expect(plan.validation.upperBound + model.horizon == plan.calibration.lowerBound)
        #expect(plan.training.upperBound + model.horizon == plan.validation.lowerBound)
        var changed = y
        for t in (plan.calibration.lowerBound + 1)..<y.count { changed[t] *= 1.2 + 0.1 * sin(Double(t)) }
        let original = try model.fit(y), refit = try model.fit(changed)
        #expect(refit.network == original.network && refit.scaling == original.scaling && refit.stoppedEpoch == original.stoppedEpoch)
        #expect(refit.conformal != original.conformal)  // the calibration period did change
    }

    @Test func featuresAndScalingAtAnOriginUseNothingAfterIt() throws {
        let y = prices(300, seed: 3)
        let full = ReturnWindows(closes: y, window: 20, horizon: 5)
        for origin in [20, 57, 200, 294] {
            let prefix = ReturnWindows(closes: Array(y[...origin]), window: 20, horizon: 5)
            let scaling = try #require(prefix.scaling(through: origin))
            #expect(full.scaling(through: origin) == scaling)
            #expect(full.inputs(at: origin, scaling: scaling) == prefix.inputs(at: origin, scaling: scaling))
        }
    }

    // MARK: artifacts, updating, freezing

    @Test func artifactRoundTripGivesTheSameForecast() throws {
        let fitted = try LSTMForecaster().fit(prices(300, seed: 4))
        let decoded = try JSONDecoder().decode(FittedLSTM.self, from: JSONEncoder().encode(fitted))
        #expect(decoded == fitted)
        #expect(decoded.forecast(horizon: 8, levels: [0.8, 0.95]) == fitted.forecast(horizon: 8, levels: [0.8, 0.95]))
        #expect(fitted.spec.hasPrefix("LSTM(20→16→5), Adam, early stopping at epoch \(fitted.stoppedEpoch); split-conformal intervals from "))

        // A truncated weight vector is a decoding error, not a crash on first use.
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(fitted)) as? [String: Any])
        var network = try #require(object["network"] as? [String: Any])
        network["parameters"] = (network["parameters"] as? [Double])?.dropLast().map { $0 }
        object["network"] = network
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FittedLSTM.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }

    @Test func updatingEqualsTheFrozenModelFittedOnTheLongerSeries() throws {
        let y = prices(420, seed: 5)
        let model = LSTMForecaster()
        let fitted = try model.fit(Array(y[..<400]))
        let frozen = model.selected(by: fitted)
        #expect(try frozen.fit(Array(y[..<400])) == fitted)
        let updated = try fitted.updated(with: Array(y[400..<410])).updated(with: Array(y[410...]))
        let refitted = try frozen.fit(y)
        #expect(updated == refitted)
        #expect(updated.network == fitted.network && updated.conformal == fitted.conformal && updated.lastClose == y[419])
        #expect(updated.forecast(horizon: 5, levels: [0.8]) == refitted.forecast(horizon: 5, levels: [0.8]))
        #expect(updated.forecast(horizon: 5, levels: []) != fitted.forecast(horizon: 5, levels: []))
        #expect(try fitted.updated(with: []) == fitted)
    }

    @Test func aBacktestTrainsOnceAndForecastsEveryOrigin() throws {
        let y = prices(500, seed: 6)
        let plan = BacktestPlan(horizon: 5, origins: 8, step: 5, window: 300, minimumTraining: 60)
        let report = Backtest.run(models: [Naive(), LSTMForecaster()], on: y, plan: plan)
        let result = try #require(report.result(for: "lstm"))
        #expect(result.failedOrigins == 0 && result.byHorizon.count == 5)
        #expect(result.byHorizon.allSatisfy { $0.mase.isFinite })
    }

    // MARK: bad input

    @Test func badInputGivesClearErrorsNeverNaN() throws {
        let model = LSTMForecaster()
        let needed = model.minimumCount
        let y = prices(300, seed: 8)
        #expect(throws: ForecastError.tooShort(model: "lstm", needed: needed, got: needed - 1)) {
            try model.fit(Array(y[..<(needed - 1)]))
        }
        #expect(throws: ForecastError.tooShort(model: "lstm", needed: 21, got: 20)) {
            try FrozenLSTM(trained: model.fit(y)).fit(Array(y[..<20]))
        }
        for bad in [0.0, -3.0, .nan, .infinity] {
            var series = y
            series[150] = bad
            #expect(throws: ForecastError.self) { try model.fit(series) }
            do { _ = try model.fit(series) } catch let ForecastError.invalidInput(reason) {
                #expect(reason.contains("151"), "\(reason)")
            } catch { Issue.record("\(bad): \(error)") }
        }
        do {
            _ = try model.fit(Array(repeating: 42, count: 300))
            Issue.record("constant prices were accepted")
        } catch let ForecastError.invalidInput(reason) {
            #expect(reason.hasPrefix("lstm:") && reason.contains("constant"), "\(reason)")
        }

        let fitted = try model.fit(y)
        #expect(throws: ForecastError.self) { try fitted.updated(with: [101, 0]) }
        #expect(throws: ForecastError.self) { try fitted.updated(with: [.nan]) }
        // A crash of a million-fold (a mis-scaled feed) saturates the cells; the forecast stays finite.
        let extreme = try fitted.updated(with: [y[299] * 1e6, y[299] * 1e-6])
        let forecast = extreme.forecast(horizon: 12, levels: [0.8, 0.95])
        let values = forecast.mean + forecast.intervals.flatMap { $0.lower + $0.upper }
        #expect(values.allSatisfy { $0.isFinite })
    }
}
