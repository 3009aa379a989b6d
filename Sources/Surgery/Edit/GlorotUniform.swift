import TensorCore

/// Glorot (Xavier) uniform initialisation from a seeded generator, so the same
/// seed gives the same bits on every machine and every Swift version.
///
/// The generator is `SplitMix64`; each weight takes one draw:
/// `u = Float(draw >> 40) / 2^24` (24 exact bits in [0, 1)) and
/// `w = (2u - 1) * limit` with `limit = sqrt(6 / (fanIn + fanOut))`, so
/// every weight lies in `[-limit, limit)`.
public struct GlorotUniform: Sendable {
    private var random: SplitMix64

    public init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        random.next()
    }

    /// `sqrt(6 / (fanIn + fanOut))`.
    public static func limit(fanIn: Int, fanOut: Int) -> Float {
        Float((6.0 / Double(fanIn + fanOut)).squareRoot())
    }

    /// A Dense weight `[fanOut, fanIn]` (the IR's `[out, in]`), row-major draws.
    public mutating func denseWeight(fanIn: Int, fanOut: Int) -> Tensor {
        let limit = Self.limit(fanIn: fanIn, fanOut: fanOut)
        let values = (0..<(fanIn * fanOut)).map { _ -> Float in
            let u = random.nextFloatUnit()
            return (2 * u - 1) * limit
        }
        return Tensor(shape: [fanOut, fanIn], scalars: values)
    }
}
