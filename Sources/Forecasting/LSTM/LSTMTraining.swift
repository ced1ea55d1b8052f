import Foundation

/// How the network learns: mini-batch Adam (Kingma & Ba 2015) on the mean squared error, each
/// gradient clipped to a global norm (Pascanu, Mikolov & Bengio 2013), and early stopping on a
/// validation set that comes after the training set in time. The weights kept are those of the
/// epoch with the lowest validation loss, epoch 0 being the untrained network.
struct LSTMTraining: Sendable, Equatable {
    var batchSize = 32
    var learningRate = 0.002
    var maximumEpochs = 40
    /// Epochs without a new best validation loss before training stops.
    var patience = 8
    var clipNorm = 1.0
    var beta1 = 0.9
    var beta2 = 0.999
    var epsilon = 1e-8

    struct Outcome {
        let network: LSTMNetwork
        /// The epoch whose weights were kept.
        let epoch: Int
        let validationLoss: Double
    }

    /// Trains from `initial`; `generator` shuffles the training sequences each epoch.
    func train(_ initial: LSTMNetwork, on training: SequenceSet, validation: SequenceSet,
               generator: inout SplitMix64) -> Outcome {
        precondition(training.count > 0 && validation.count > 0, "sequences to train and validate on")
        let limit = LSTMBatchPass.maximumCapacity(inputSize: initial.inputSize, hiddenSize: initial.hiddenSize)
        let batchSize = min(self.batchSize, limit)
        let pass = LSTMBatchPass(inputSize: initial.inputSize, hiddenSize: initial.hiddenSize, outputSize: initial.outputSize,
                                 steps: training.steps, capacity: min(limit, max(batchSize, validation.count)))
        let count = initial.parameters.count
        var parameters = initial.parameters
        var gradient = [Double](repeating: 0, count: count)
        var firstMoment = [Double](repeating: 0, count: count)
        var secondMoment = [Double](repeating: 0, count: count)

        func validationLoss(_ parameters: [Double]) -> Double {
            let rows = Array(0..<validation.count)
            var total = 0.0
            parameters.withUnsafeBufferPointer { p in
                for start in stride(from: 0, to: rows.count, by: pass.capacity) {
                    let batch = rows[start..<min(start + pass.capacity, rows.count)]
                    total += pass.loss(p.baseAddress!, set: validation, rows: batch) * Double(batch.count)
                }
            }
            return total / Double(rows.count)
        }

        var best = Outcome(network: initial, epoch: 0, validationLoss: validationLoss(parameters))
        var order = Array(0..<training.count)
        var updates = 0
        for epoch in stride(from: 1, through: maximumEpochs, by: 1) {
            guard epoch - best.epoch <= patience else { break }
            // Fisher–Yates with our own generator: the same seed gives the same order on any toolchain.
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = order[start..<min(start + batchSize, order.count)]
                _ = parameters.withUnsafeBufferPointer { p in
                    gradient.withUnsafeMutableBufferPointer { g in
                        pass.lossAndGradient(p.baseAddress!, set: training, rows: rows, gradient: g.baseAddress!)
                    }
                }
                var squaredNorm = 0.0
                for g in gradient { squaredNorm += g * g }
                let norm = squaredNorm.squareRoot()
                // A non-finite gradient (an overflowing batch) is skipped rather than poisoning the moments.
                guard norm.isFinite else { continue }
                let clip = norm > clipNorm ? clipNorm / norm : 1
                updates += 1
                let firstCorrection = 1 - pow(beta1, Double(updates)), secondCorrection = 1 - pow(beta2, Double(updates))
                for k in 0..<count {
                    let g = gradient[k] * clip
                    firstMoment[k] = beta1 * firstMoment[k] + (1 - beta1) * g
                    secondMoment[k] = beta2 * secondMoment[k] + (1 - beta2) * g * g
                    parameters[k] -= learningRate * (firstMoment[k] / firstCorrection)
                        / ((secondMoment[k] / secondCorrection).squareRoot() + epsilon)
                }
            }
            let loss = validationLoss(parameters)
            if loss < best.validationLoss {
                var network = initial
                network.parameters = parameters
                best = Outcome(network: network, epoch: epoch, validationLoss: loss)
            }
        }
        return best
    }
}
