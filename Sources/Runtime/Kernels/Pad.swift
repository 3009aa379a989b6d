import GraphIR

/// Constant, reflect or edge padding of a row-major block (the planner
/// passes physical dims and pads permuted to the value's layout). `pads` are
/// `[begin_0 … begin_r, end_0 … end_r]` and may be negative (cropping).
struct PadKernel: Kernel {
    let inputShape: [Int], outputShape: [Int]
    let begins: [Int]
    let mode: PadMode
    let value: Float

    init(inputShape: [Int], pads: [Int], mode: PadMode, value: Float) {
        let r = inputShape.count
        self.inputShape = inputShape
        begins = Array(pads[0..<r])
        outputShape = (0..<r).map { inputShape[$0] + pads[$0] + pads[$0 + r] }
        self.mode = mode
        self.value = value
    }

    /// The input coordinate that output coordinate `o` on `axis` reads, or nil for the constant.
    @inline(__always)
    private func source(_ o: Int, axis: Int) -> Int? {
        let n = inputShape[axis]
        var i = o - begins[axis]
        if i >= 0 && i < n { return i }
        // An empty axis has nothing to reflect or repeat (shape inference refuses it; this guards the reads).
        if n == 0 { return nil }
        switch mode {
        case .constant: return nil
        case .edge: return min(max(i, 0), n - 1)
        case .reflect:
            if n == 1 { return 0 }
            let period = 2 * (n - 1)
            i = ((i % period) + period) % period
            return i < n ? i : period - i
        }
    }

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0], r = inputShape.count
        let inStrides = rowMajorStrides(inputShape)
        let inner = outputShape[r - 1]
        let rows = outputShape.dropLast().reduce(1, *)
        Parallel.forRanges(rows, work: rows * inner) { part in
            for row in part {
                let dst = output + row * inner
                var rest = row, offset = 0, inside = true
                for axis in stride(from: r - 2, through: 0, by: -1) {
                    let o = rest % outputShape[axis]
                    rest /= outputShape[axis]
                    if let i = source(o, axis: axis) { offset += i * inStrides[axis] } else { inside = false }
                }
                if !inside { dst.update(repeating: value, count: inner); continue }
                for j in 0..<inner {
                    if let i = source(j, axis: r - 1) { dst[j] = x[offset + i] } else { dst[j] = value }
                }
            }
        }
    }
}
