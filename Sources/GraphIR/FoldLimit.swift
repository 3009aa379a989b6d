/// The bound on tensors Graft computes from a model before run time: constants
/// folded at plan time (`Runtime`'s `ConstantFolding`) and by `graft simplify`'s
/// passes (`FoldConstants`, `FuseAffineChain`).
///
/// A file of a few hundred bytes can say `ConstantOfShape([100000, 100000])`, or
/// broadcast `[100000, 1] + [1, 100000]`: folding either would allocate 40–80 GB.
/// Real models fold shape arithmetic and constants computed from their weights, so a
/// folded tensor may have as many elements as the model has weight bytes / 4, plus
/// 2^20 — and never fewer than 2^26 (256 MiB of float32), which leaves room for an
/// activation-sized `ConstantOfShape(Shape(x))` such as a `[64, 64, 112, 112]` mask.
/// What folding can make a file allocate is then proportional to the file, above that floor.
public enum FoldLimit {
    /// Elements a folded tensor may always have, whatever the model's size.
    public static let floor = 1 << 26

    /// The most elements one folded tensor of a model with `weightBytes` bytes of parameters may have.
    public static func maxElements(weightBytes: Int) -> Int {
        max(floor, weightBytes / 4 + (1 << 20))
    }

    /// The most elements one folded tensor of `graph` may have.
    public static func maxElements(for graph: Graph) -> Int {
        maxElements(weightBytes: graph.parameters.values.reduce(0) { $0 + $1.tensor.byteCount })
    }

    /// The number of elements of `shape`, or nil when a dimension is negative or the
    /// count exceeds `limit` (overflow included).
    public static func elementCount(_ shape: [Int], atMost limit: Int) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            count = p
        }
        return count <= limit ? count : nil
    }
}
