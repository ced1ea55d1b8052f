import COpenBLAS
import Foundation

/// A one-layer LSTM read out by a linear layer from its last hidden state, with the equations
/// and gate order (i, f, g, o) of PyTorch's `nn.LSTM`, from h₀ = c₀ = 0:
///
///     z = W·[x_t; h_{t−1}] + b,   i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
///     c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t),   ŷ = V·h_T + a
///
/// PyTorch's `weight_ih_l0` and `weight_hh_l0` are W's input and hidden columns; its two biases
/// add up to b.
struct LSTMNetwork: Sendable, Codable, Equatable {
    let inputSize: Int
    let hiddenSize: Int
    let outputSize: Int
    /// Every weight in one vector, for the optimiser, in this order:
    /// W, 4n × (m + n) row-major, row blocks of n in gate order i, f, g, o, input columns first;
    /// b (4n); V, outputs × n row-major; a (outputs). n = hidden size, m = input size.
    var parameters: [Double]

    init(inputSize: Int, hiddenSize: Int, outputSize: Int, parameters: [Double]) {
        precondition(inputSize >= 1 && hiddenSize >= 1 && outputSize >= 1, "positive layer sizes")
        precondition(parameters.count == Self.parameterCount(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize),
                     "one value per weight")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.outputSize = outputSize
        self.parameters = parameters
    }

    /// PyTorch's U(−1/√n, 1/√n) for W; forget-gate biases at 1 so the cell keeps its memory at
    /// first (Jozefowicz, Zaremba & Sutskever 2015), other biases 0; the read-out starts at zero,
    /// so the untrained network forecasts no change and training moves it only as far as the
    /// validation loss rewards.
    init(inputSize: Int, hiddenSize: Int, outputSize: Int, generator: inout SplitMix64) {
        let count = Self.parameterCount(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize)
        var parameters = [Double](repeating: 0, count: count)
        let bound = 1 / Double(hiddenSize).squareRoot()
        let gateWeights = 4 * hiddenSize * (inputSize + hiddenSize)
        for k in 0..<gateWeights { parameters[k] = bound * (2 * generator.nextUnit() - 1) }
        for j in 0..<hiddenSize { parameters[gateWeights + hiddenSize + j] = 1 }
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize, parameters: parameters)
    }

    static func parameterCount(inputSize: Int, hiddenSize: Int, outputSize: Int) -> Int {
        4 * hiddenSize * (inputSize + hiddenSize) + 4 * hiddenSize + outputSize * hiddenSize + outputSize
    }

    var gateColumns: Int { inputSize + hiddenSize }
    var gateBiasOffset: Int { 4 * hiddenSize * gateColumns }
    var outputWeightsOffset: Int { gateBiasOffset + 4 * hiddenSize }
    var outputBiasOffset: Int { outputWeightsOffset + outputSize * hiddenSize }

    /// ŷ for one sequence, `steps × inputSize` values in time order.
    func predict(_ sequence: [Double]) -> [Double] {
        let m = inputSize, n = hiddenSize, columns = gateColumns
        precondition(sequence.count % m == 0, "whole steps of inputs")
        var xh = [Double](repeating: 0, count: columns)
        var z = [Double](repeating: 0, count: 4 * n)
        var cell = [Double](repeating: 0, count: n)
        var output = [Double](repeating: 0, count: outputSize)
        parameters.withUnsafeBufferPointer { p in
            let weights = p.baseAddress!
            xh.withUnsafeMutableBufferPointer { xh in
                z.withUnsafeMutableBufferPointer { z in
                    cell.withUnsafeMutableBufferPointer { cell in
                        for t in 0..<(sequence.count / m) {
                            for k in 0..<m { xh[k] = sequence[t * m + k] }
                            for r in 0..<(4 * n) { z[r] = p[gateBiasOffset + r] }
                            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(4 * n), Int32(columns), 1,
                                        weights, Int32(columns), xh.baseAddress, 1, 1, z.baseAddress, 1)
                            LSTMCell.step(z.baseAddress!, previousCell: cell.baseAddress!, cell: cell.baseAddress!,
                                          tanhCell: nil, hidden: xh.baseAddress! + m, hiddenSize: n)
                        }
                    }
                }
            }
            for k in 0..<outputSize { output[k] = p[outputBiasOffset + k] }
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(outputSize), Int32(n), 1,
                        weights + outputWeightsOffset, Int32(n), Array(xh[m...]), 1, 1, &output, 1)
        }
        return output
    }

    // A corrupt or foreign artifact must not decode into a network that crashes on use.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let inputSize = try container.decode(Int.self, forKey: .inputSize)
        let hiddenSize = try container.decode(Int.self, forKey: .hiddenSize)
        let outputSize = try container.decode(Int.self, forKey: .outputSize)
        let parameters = try container.decode([Double].self, forKey: .parameters)
        guard inputSize >= 1, hiddenSize >= 1, outputSize >= 1,
              parameters.count == Self.parameterCount(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize),
              parameters.allSatisfy(\.isFinite)
        else {
            throw DecodingError.dataCorruptedError(forKey: .parameters, in: container,
                                                   debugDescription: "LSTM weights do not match their layer sizes")
        }
        self.init(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize, parameters: parameters)
    }
}

/// The cell update shared by inference and training.
enum LSTMCell {
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// Turns the pre-activations `z` (4n, gates i, f, g, o) into activations in place, sets
    /// c = f ⊙ c_prev + i ⊙ g and h = o ⊙ tanh(c). `cell` may be `previousCell`.
    @inline(__always)
    static func step(_ z: UnsafeMutablePointer<Double>, previousCell: UnsafePointer<Double>, cell: UnsafeMutablePointer<Double>,
                     tanhCell: UnsafeMutablePointer<Double>?, hidden: UnsafeMutablePointer<Double>, hiddenSize n: Int) {
        for j in 0..<n {
            let i = sigmoid(z[j]), f = sigmoid(z[n + j]), g = tanh(z[2 * n + j]), o = sigmoid(z[3 * n + j])
            z[j] = i
            z[n + j] = f
            z[2 * n + j] = g
            z[3 * n + j] = o
            let c = f * previousCell[j] + i * g
            cell[j] = c
            let tc = tanh(c)
            tanhCell?[j] = tc
            hidden[j] = o * tc
        }
    }
}
