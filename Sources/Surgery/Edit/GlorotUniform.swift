import TensorCore

/// Glorot (Xavier) uniform initialisation from a seeded generator, so the same
/// seed gives the same bits on every machine and every Swift version.
///
/// The generator is SplitMix64 (Steele, Lea & Flood 2014): `state += 0x9E3779B97F4A7C15`,
/// then the output is mixed with `(z ^ z>>30) * 0xBF58476D1CE4E5B9`,
/// `(z ^ z>>27) * 0x94D049BB133111EB`, `z ^ z>>31`. Each weight takes one draw:
/// `u = Float(draw >> 40) / 2^24` (24 exact bits in [0, 1)) and
/// `w = (2u - 1) * limit` with `limit = sqrt(6 / (fanIn + fanOut))`, so
/// every weight lies in `[-limit, limit)`. The standard library's
/// `Float.random(in:using:)` is not used: its algorithm is not specified.
public struct GlorotUniform: Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits (SplitMix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `sqrt(6 / (fanIn + fanOut))`.
    public static func limit(fanIn: Int, fanOut: Int) -> Float {
        Float((6.0 / Double(fanIn + fanOut)).squareRoot())
    }

    /// A Dense weight `[fanOut, fanIn]` (the IR's `[out, in]`), row-major draws.
    public mutating func denseWeight(fanIn: Int, fanOut: Int) -> Tensor {
        let limit = Self.limit(fanIn: fanIn, fanOut: fanOut)
        let values = (0..<(fanIn * fanOut)).map { _ -> Float in
            let u = Float(next() >> 40) / Float(1 << 24)
            return (2 * u - 1) * limit
        }
        return Tensor(shape: [fanOut, fanIn], scalars: values)
    }
}
