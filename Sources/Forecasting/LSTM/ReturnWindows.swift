import Foundation

/// How a price series becomes the network's learning problem. Origin t is the index of the last
/// close seen. Its input is the window of the log returns r_{t−w+1} … r_t, standardised; its
/// targets are the cumulative log returns log(p_{t+h}/p_t) for h = 1 … H. Nothing after t is in
/// the input, and the standardisation comes from the fitting origins alone.
struct ReturnWindows {
    let window: Int
    let horizon: Int
    let logPrices: [Double]
    /// r_k = log p_k − log p_{k−1}, stored at k − 1.
    let returns: [Double]

    init(closes: [Double], window: Int, horizon: Int) {
        self.window = window
        self.horizon = horizon
        logPrices = closes.map { log($0) }
        returns = Self.logReturns(closes)
    }

    /// The one formula for log returns, so a window built by a fit, by `FrozenLSTM.fit` and by
    /// `updated(with:)` holds the same bits.
    static func logReturns<C: Collection<Double>>(_ closes: C) -> [Double] {
        zip(closes, closes.dropFirst()).map { log($1) - log($0) }
    }

    /// Closes must be positive for log returns (`validateSeries` has refused non-finite ones).
    static func validatePrices(_ closes: [Double], label: String = "close") throws {
        if let index = closes.firstIndex(where: { !($0 > 0) }) {
            throw ForecastError.invalidInput("lstm: \(label) \(index + 1) is \(closes[index]); prices must be positive")
        }
    }

    /// Mean and standard deviation of r_1 … r_t, the returns the origins up to t see; nil when
    /// they do not vary (constant prices).
    func scaling(through origin: Int) -> ReturnScaling? {
        let seen = returns[..<origin]
        let mean = seen.reduce(0, +) / Double(seen.count)
        let variance = seen.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(seen.count - 1, 1))
        let sd = variance.squareRoot()
        // Below this the "variation" is rounding in log(), and standardising would amplify it.
        guard sd > 1e-12, sd.isFinite else { return nil }
        return ReturnScaling(mean: mean, standardDeviation: sd)
    }

    /// The standardised input window at origin t.
    func inputs(at origin: Int, scaling: ReturnScaling) -> [Double] {
        returns[(origin - window)..<origin].map(scaling.input)
    }

    /// log(p_{t+h}/p_t) for h = 1 … H.
    func cumulativeReturns(at origin: Int) -> [Double] {
        (1...horizon).map { logPrices[origin + $0] - logPrices[origin] }
    }

    func sequences(at origins: ClosedRange<Int>, scaling: ReturnScaling) -> SequenceSet {
        var set = SequenceSet(steps: window, inputSize: 1, outputSize: horizon)
        for origin in origins {
            let targets = cumulativeReturns(at: origin).enumerated().map { scaling.target($1, horizon: $0 + 1) }
            set.append(inputs: inputs(at: origin, scaling: scaling), targets: targets)
        }
        return set
    }
}

/// Inputs are standardised returns; each target is the h-step log return divided by σ√h, so
/// every output has about unit variance and an output of 0 means no change (the random walk).
struct ReturnScaling: Sendable, Codable, Equatable {
    let mean: Double
    let standardDeviation: Double

    func input(_ logReturn: Double) -> Double { (logReturn - mean) / standardDeviation }
    func target(_ cumulative: Double, horizon h: Int) -> Double { cumulative / (standardDeviation * Double(h).squareRoot()) }
    func cumulativeReturn(output: Double, horizon h: Int) -> Double { output * standardDeviation * Double(h).squareRoot() }
}

/// The three time-ordered sets of origins a fit uses: training, then validation (for early
/// stopping), then calibration (for the intervals). Each is purged: the last training target
/// (t + H) is the first validation origin, and the last validation target the first calibration
/// origin, so no target reaches into the next set.
struct LSTMOriginPlan: Equatable {
    let training: ClosedRange<Int>
    let validation: ClosedRange<Int>
    let calibration: ClosedRange<Int>

    static let minimumTraining = 30
    static let minimumValidation = 10

    init?(window: Int, horizon: Int, count: Int, validationFraction: Double) {
        guard let split = CalibrationSplit(firstOrigin: window, count: count, horizon: horizon,
                                           minimumFit: Self.minimumTraining + horizon + Self.minimumValidation)
        else { return nil }
        let held = max(Self.minimumValidation, Int((Double(split.fit.count) * validationFraction).rounded()))
        let validationStart = split.fit.upperBound - held + 1
        let trainingEnd = validationStart - horizon
        guard trainingEnd - split.fit.lowerBound + 1 >= Self.minimumTraining else { return nil }
        training = split.fit.lowerBound...trainingEnd
        validation = validationStart...split.fit.upperBound
        calibration = split.calibrate
    }

    /// The fewest closes for which a plan exists.
    static func minimumCount(window: Int, horizon: Int, validationFraction: Double) -> Int {
        var count = CalibrationSplit.minimumCount(firstOrigin: window, horizon: horizon,
                                                  minimumFit: minimumTraining + horizon + minimumValidation)
        // The validation share grows with the series, so the closed form can fall a little short.
        while LSTMOriginPlan(window: window, horizon: horizon, count: count, validationFraction: validationFraction) == nil { count += 1 }
        return count
    }
}
