/// Copies a row-major `[d0 … dn]` block into its axes permuted by `perm`
/// (output axis i = input axis `perm[i]`). The planner uses it for
/// layout conversions (e.g. NCHW to NHWC) and for transposes it cannot alias.
struct TransposeKernel: Kernel {
    /// Output dims and, for each output axis, the input element stride.
    let dims: [Int], sourceStrides: [Int]
    let count: Int

    init(inputShape: [Int], perm: [Int]) {
        let strides = rowMajorStrides(inputShape)
        // Drop size-1 axes and merge runs that stay contiguous in the input.
        var d: [Int] = [], s: [Int] = []
        for axis in perm where inputShape[axis] != 1 {
            let size = inputShape[axis], st = strides[axis]
            if let last = s.last, last == st * size {
                d[d.count - 1] *= size
                s[s.count - 1] = st
            } else {
                d.append(size); s.append(st)
            }
        }
        if d.isEmpty { d = [1]; s = [1] }
        dims = d; sourceStrides = s
        count = inputShape.reduce(1, *)
    }

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0]
        let inner = dims.last!, innerStride = sourceStrides.last!
        let outer = Array(dims.dropLast()), outerStrides = Array(sourceStrides.dropLast())
        let rows = outer.reduce(1, *)
        if dims.count == 2 && inner < 16 && outerStrides[0] == 1 {
            // A few long planes interleaved (NCHW → NHWC of an image): read each plane in order.
            if inner == 3 {
                // RGB: one pass writing whole pixels (three strided passes took 19 µs at 160×160).
                Parallel.forRanges(rows, work: count) { part in
                    let r0 = x, g0 = x + innerStride, b0 = x + 2 * innerStride
                    for r in part {
                        output[3 * r] = r0[r]
                        output[3 * r + 1] = g0[r]
                        output[3 * r + 2] = b0[r]
                    }
                }
                return
            }
            Parallel.forRanges(rows, work: count) { part in
                for j in 0..<inner {
                    let src = x + j * innerStride, dst = output + j
                    for r in part { dst[r * inner] = src[r] }
                }
            }
            return
        }
        Parallel.forRanges(rows, work: count) { part in
            for row in part {
                var rest = row, offset = 0
                for axis in stride(from: outer.count - 1, through: 0, by: -1) {
                    offset += (rest % outer[axis]) * outerStrides[axis]
                    rest /= outer[axis]
                }
                let src = x + offset, dst = output + row * inner
                if innerStride == 1 {
                    dst.update(from: src, count: inner)
                } else {
                    for j in 0..<inner { dst[j] = src[j * innerStride] }
                }
            }
        }
    }
}

/// Copies `count` floats (a value into the layout it already has, or into a
/// fresh buffer).
struct CopyKernel: Kernel {
    let count: Int
    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        output.update(from: inputs[0], count: count)
    }
}
