import COpenBLAS
import Foundation

/// Sequences and their targets: `inputs` holds count × steps × inputSize values (each
/// sequence's steps in time order), `targets` count × outputSize.
struct SequenceSet: Sendable {
    let steps: Int
    let inputSize: Int
    let outputSize: Int
    var inputs: [Double] = []
    var targets: [Double] = []

    var count: Int { targets.count / outputSize }

    mutating func append(inputs sequence: [Double], targets values: [Double]) {
        precondition(sequence.count == steps * inputSize && values.count == outputSize, "one sequence and its targets")
        inputs += sequence
        targets += values
    }
}

/// Forward and backward passes (backpropagation through time) over batches of up to
/// `capacity` sequences, in buffers allocated once per fit. The loss is the mean squared error
/// over the batch's sequences and outputs.
///
/// Determinism: OpenBLAS (interface/gemm.c) splits a dgemm over threads only when m·n·k exceeds
/// 65 536 × GEMM_MULTITHREAD_THRESHOLD (4 in Debian's build). Batches are kept within that
/// (`maximumCapacity`), so every product runs on the calling thread in one summation order and
/// a fit is the same bit for bit however many threads OpenBLAS or the caller use. (The forecast
/// path's dgemv stays single-threaded below m·n = 2 304 × 4, far above a 16-unit network's.)
final class LSTMBatchPass {
    let inputSize: Int, hiddenSize: Int, outputSize: Int, steps: Int, capacity: Int

    /// xh[t]: the rows [x_t, h_{t−1}] (capacity × (m + n)); the gate products' right side.
    private let xh: UnsafeMutablePointer<Double>
    /// Activated gates i, f, g, o per step (capacity × 4n).
    private let gates: UnsafeMutablePointer<Double>
    /// c_0 … c_T (capacity × n each; c_0 = 0) and tanh(c_1) … tanh(c_T).
    private let cells: UnsafeMutablePointer<Double>
    private let tanhCells: UnsafeMutablePointer<Double>
    private let lastHidden: UnsafeMutablePointer<Double>
    /// The batch's outputs (capacity × outputs), valid after `forward`.
    let outputs: UnsafeMutablePointer<Double>
    private let gateGradient: UnsafeMutablePointer<Double>
    private let hiddenGradient: UnsafeMutablePointer<Double>
    private let cellGradient: UnsafeMutablePointer<Double>
    private let outputGradient: UnsafeMutablePointer<Double>
    private let allocations: [UnsafeMutablePointer<Double>]

    /// OpenBLAS's m·n·k bound for a single-threaded dgemm.
    static let singleThreadedProductLimit = 65_536 * 4

    /// The largest batch whose every product stays single-threaded: the gate products,
    /// batch × 4n × (m + n), are the largest.
    static func maximumCapacity(inputSize: Int, hiddenSize: Int) -> Int {
        max(1, singleThreadedProductLimit / (4 * hiddenSize * (inputSize + hiddenSize)))
    }

    init(inputSize: Int, hiddenSize: Int, outputSize: Int, steps: Int, capacity: Int) {
        precondition(capacity <= Self.maximumCapacity(inputSize: inputSize, hiddenSize: hiddenSize), "batch within the single-thread bound")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.outputSize = outputSize
        self.steps = steps
        self.capacity = capacity
        let n = hiddenSize, columns = inputSize + hiddenSize
        func buffer(_ count: Int) -> UnsafeMutablePointer<Double> {
            let pointer = UnsafeMutablePointer<Double>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
        xh = buffer(steps * capacity * columns)
        gates = buffer(steps * capacity * 4 * n)
        cells = buffer((steps + 1) * capacity * n)
        tanhCells = buffer(steps * capacity * n)
        lastHidden = buffer(capacity * n)
        outputs = buffer(capacity * outputSize)
        gateGradient = buffer(capacity * 4 * n)
        hiddenGradient = buffer(capacity * n)
        cellGradient = buffer(capacity * n)
        outputGradient = buffer(capacity * outputSize)
        allocations = [xh, gates, cells, tanhCells, lastHidden, outputs, gateGradient, hiddenGradient, cellGradient, outputGradient]
    }

    deinit { for pointer in allocations { pointer.deallocate() } }

    /// Runs the sequences `rows` of `set` (at most `capacity`) through the network with weights
    /// `p` (laid out as `LSTMNetwork.parameters`); their outputs land in `outputs`.
    func forward(_ p: UnsafePointer<Double>, set: SequenceSet, rows: ArraySlice<Int>) {
        let batch = rows.count, m = inputSize, n = hiddenSize, columns = m + n
        precondition(batch <= capacity && set.steps == steps && set.inputSize == m, "batch fits the buffers")
        let bias = p + 4 * n * columns
        cells.update(repeating: 0, count: batch * n)
        set.inputs.withUnsafeBufferPointer { inputs in
            for t in 0..<steps {
                let xhT = xh + t * capacity * columns, z = gates + t * capacity * 4 * n
                for (b, row) in rows.enumerated() {
                    let source = inputs.baseAddress! + (row * steps + t) * m
                    (xhT + b * columns).update(from: source, count: m)
                    if t == 0 { (xhT + b * columns + m).update(repeating: 0, count: n) }
                    (z + b * 4 * n).update(from: bias, count: 4 * n)
                }
                // Z (batch × 4n) += XH (batch × (m + n)) · Wᵀ
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(4 * n), Int32(columns),
                            1, xhT, Int32(columns), p, Int32(columns), 1, z, Int32(4 * n))
                for b in 0..<batch {
                    let hidden = t + 1 < steps ? xh + (t + 1) * capacity * columns + b * columns + m : lastHidden + b * n
                    LSTMCell.step(z + b * 4 * n, previousCell: cells + t * capacity * n + b * n,
                                  cell: cells + (t + 1) * capacity * n + b * n,
                                  tanhCell: tanhCells + t * capacity * n + b * n, hidden: hidden, hiddenSize: n)
                }
            }
        }
        let readOut = bias + 4 * n, readOutBias = readOut + outputSize * n
        for b in 0..<batch { (outputs + b * outputSize).update(from: readOutBias, count: outputSize) }
        // Y (batch × outputs) += H_T (batch × n) · Vᵀ
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(outputSize), Int32(n),
                    1, lastHidden, Int32(n), readOut, Int32(n), 1, outputs, Int32(outputSize))
    }

    /// The mean squared error of the sequences `rows`, without gradients.
    func loss(_ p: UnsafePointer<Double>, set: SequenceSet, rows: ArraySlice<Int>) -> Double {
        forward(p, set: set, rows: rows)
        return squaredError(set: set, rows: rows) / Double(rows.count * outputSize)
    }

    private func squaredError(set: SequenceSet, rows: ArraySlice<Int>) -> Double {
        var sum = 0.0
        for (b, row) in rows.enumerated() {
            for k in 0..<outputSize {
                let error = outputs[b * outputSize + k] - set.targets[row * outputSize + k]
                sum += error * error
            }
        }
        return sum
    }

    /// The loss of the sequences `rows` with its gradient with respect to every weight written to
    /// `gradient` (overwritten, laid out as the weights).
    func lossAndGradient(_ p: UnsafePointer<Double>, set: SequenceSet, rows: ArraySlice<Int>,
                         gradient: UnsafeMutablePointer<Double>) -> Double {
        forward(p, set: set, rows: rows)
        let batch = rows.count, m = inputSize, n = hiddenSize, columns = m + n, k = outputSize
        let biasOffset = 4 * n * columns, readOutOffset = biasOffset + 4 * n, readOutBiasOffset = readOutOffset + k * n
        gradient.update(repeating: 0, count: readOutBiasOffset + k)
        let scale = 1 / Double(batch * k)

        // dL/dY = 2(Y − target)/(batch · outputs)
        for (b, row) in rows.enumerated() {
            for j in 0..<k {
                outputGradient[b * k + j] = 2 * scale * (outputs[b * k + j] - set.targets[row * k + j])
                gradient[readOutBiasOffset + j] += outputGradient[b * k + j]
            }
        }
        // dV = dYᵀ · H_T, dH_T = dY · V
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(n), Int32(batch),
                    1, outputGradient, Int32(k), lastHidden, Int32(n), 0, gradient + readOutOffset, Int32(n))
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(n), Int32(k),
                    1, outputGradient, Int32(k), p + readOutOffset, Int32(n), 0, hiddenGradient, Int32(n))
        cellGradient.update(repeating: 0, count: batch * n)

        for t in stride(from: steps - 1, through: 0, by: -1) {
            let z = gates + t * capacity * 4 * n
            for b in 0..<batch {
                let gate = z + b * 4 * n, dz = gateGradient + b * 4 * n
                let previousCell = cells + t * capacity * n + b * n
                let tanhCell = tanhCells + t * capacity * n + b * n
                let dh = hiddenGradient + b * n, dc = cellGradient + b * n
                for j in 0..<n {
                    let i = gate[j], f = gate[n + j], g = gate[2 * n + j], o = gate[3 * n + j], tc = tanhCell[j]
                    // h = o·tanh(c) and c = f·c_prev + i·g, differentiated; dc carries the later steps' share.
                    let cellTotal = dc[j] + dh[j] * o * (1 - tc * tc)
                    dz[j] = cellTotal * g * i * (1 - i)
                    dz[n + j] = cellTotal * previousCell[j] * f * (1 - f)
                    dz[2 * n + j] = cellTotal * i * (1 - g * g)
                    dz[3 * n + j] = dh[j] * tc * o * (1 - o)
                    dc[j] = cellTotal * f
                }
                for r in 0..<(4 * n) { gradient[biasOffset + r] += dz[r] }
            }
            // dW += dZᵀ · XH_t
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(4 * n), Int32(columns), Int32(batch),
                        1, gateGradient, Int32(4 * n), xh + t * capacity * columns, Int32(columns), 1, gradient, Int32(columns))
            // dh_{t−1} = dZ · W[:, m…]: only the hidden columns feed back.
            if t > 0 {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(n), Int32(4 * n),
                            1, gateGradient, Int32(4 * n), p + m, Int32(columns), 0, hiddenGradient, Int32(n))
            }
        }
        return squaredError(set: set, rows: rows) * scale
    }
}

extension LSTMNetwork {
    /// Outputs for every sequence of `set`, in batches (row b at b × outputSize).
    func outputs(for set: SequenceSet) -> [Double] {
        let capacity = min(max(set.count, 1), LSTMBatchPass.maximumCapacity(inputSize: inputSize, hiddenSize: hiddenSize))
        let pass = LSTMBatchPass(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize, steps: set.steps, capacity: capacity)
        var result: [Double] = []
        result.reserveCapacity(set.count * outputSize)
        let rows = Array(0..<set.count)
        parameters.withUnsafeBufferPointer { p in
            for start in stride(from: 0, to: set.count, by: capacity) {
                let batch = rows[start..<min(start + capacity, set.count)]
                pass.forward(p.baseAddress!, set: set, rows: batch)
                result += UnsafeBufferPointer(start: pass.outputs, count: batch.count * outputSize)
            }
        }
        return result
    }

    /// The mean squared error over all of `set` and its gradient, in one batch (for tests).
    func lossAndGradient(on set: SequenceSet) -> (loss: Double, gradient: [Double]) {
        let pass = LSTMBatchPass(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize, steps: set.steps, capacity: set.count)
        var gradient = [Double](repeating: 0, count: parameters.count)
        let loss = parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { g in
                pass.lossAndGradient(p.baseAddress!, set: set, rows: Array(0..<set.count)[...], gradient: g.baseAddress!)
            }
        }
        return (loss, gradient)
    }
}
