/// SplitMix64 (Steele, Lea & Flood 2014): a small seeded generator whose stream is the
/// same on every machine and Swift version — the one source of randomness for initial
/// weights, shuffles, dropout masks, splits and augmentation. The standard library's
/// `random(in:using:)` is not used anywhere: its algorithm is not specified.
///
/// `next()`: `state += 0x9E3779B97F4A7C15`, then `(z ^ z>>30) * 0xBF58476D1CE4E5B9`,
/// `(z ^ z>>27) * 0x94D049BB133111EB`, `z ^ z>>31`.
public struct SplitMix64: Sendable, Codable, Equatable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// Uniform in [0, 1) with 24 exact bits.
    public mutating func nextFloatUnit() -> Float {
        Float(next() >> 40) / Float(1 << 24)
    }

    /// Uniform in 0..<bound (bound ≥ 1); the modulo bias is below 2^-40 for any bound we use.
    public mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// Fisher–Yates with this generator.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, next(below: i + 1))
        }
    }
}
