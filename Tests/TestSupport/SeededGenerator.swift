import TensorCore

/// TensorCore's `SplitMix64` as a `RandomNumberGenerator`, so "random" test inputs are the
/// same every run and come from the same stream the library uses.
public struct SeededGenerator: RandomNumberGenerator {
    private var source: SplitMix64

    public init(seed: UInt64) { source = SplitMix64(seed: seed) }

    public mutating func next() -> UInt64 { source.next() }

    /// `count` bytes from a generator seeded with `seed`.
    public static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    }
}
