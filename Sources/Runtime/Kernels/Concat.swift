/// Concatenation along one physical axis. Each input is viewed as
/// `[outer, size_i * inner]` and the output as `[outer, sum(size_i) * inner]`.
struct ConcatKernel: Kernel {
    let outer: Int
    /// `size_i * inner` per input.
    let widths: [Int]

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let total = widths.reduce(0, +)
        Parallel.forRanges(outer, work: outer * total) { rows in
            for r in rows {
                var dst = output + r * total
                for (x, w) in zip(inputs, widths) {
                    dst.update(from: x + r * w, count: w)
                    dst += w
                }
            }
        }
    }
}
