import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast generator with a 64-bit state, so
/// simulated intervals (and tests' random samples) are reproducible from a seed without
/// Foundation's global generator.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform on [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
    /// Uniform on (0, 1): never 0, so its log is finite.
    public mutating func nextOpenUnit() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }

    /// A standard normal draw (Box–Muller, cosine branch).
    public mutating func nextGaussian() -> Double {
        (-2 * log(nextOpenUnit())).squareRoot() * cos(2 * Double.pi * nextOpenUnit())
    }
}
