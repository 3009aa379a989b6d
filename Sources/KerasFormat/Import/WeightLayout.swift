import TensorCore

/// Layout changes applied to Keras weights once, at import.
enum WeightLayout {
    /// Conv2D kernel `[kH, kW, in, out]` (HWIO) → `[out, in, kH, kW]` (OIHW).
    static func convKernel(_ hwio: Tensor) -> Tensor {
        let (kh, kw, i, o) = (hwio.shape[0], hwio.shape[1], hwio.shape[2], hwio.shape[3])
        return reversedAxes(hwio, outer: kh * kw, middle: i, inner: o).reshaped([o, i, kh, kw])
    }

    /// `[A, B, C]` → `[C, B, A]`, the shape of every kernel transpose Keras needs.
    /// Walks the source in blocks of 64 along C so reads and writes both stay sequential.
    static func reversedAxes(_ x: Tensor, outer a: Int, middle b: Int, inner c: Int) -> Tensor {
        let source = x.dtype == .float32 ? x : x.converted(to: .float32)
        precondition(a * b * c == source.elementCount)
        var out = Tensor(zeros: [c, b, a])
        source.withUnsafeFloats { src in
            out.withUnsafeMutableFloats { dst in
                let block = 64
                var c0 = 0
                while c0 < c {
                    let width = min(block, c - c0)
                    for j in 0..<b {
                        for i in 0..<a {
                            let from = (i * b + j) * c + c0
                            let to = c0 * b * a + j * a + i
                            for k in 0..<width { dst[to + k * b * a] = src[from + k] }
                        }
                    }
                    c0 += block
                }
            }
        }
        return out
    }

    /// DepthwiseConv2D kernel `[kH, kW, in, multiplier]` → `[in * multiplier, 1, kH, kW]`;
    /// output channel `c * multiplier + m` reads input channel `c`, as in Keras.
    static func depthwiseKernel(_ kernel: Tensor) -> Tensor {
        let (kh, kw, c, m) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        return reversedAxes(kernel, outer: kh * kw, middle: 1, inner: c * m).reshaped([c * m, 1, kh, kw])
    }

    /// Dense kernel `[in, out]` → `[out, in]` for `gemm(transB: true)`.
    static func denseKernel(_ kernel: Tensor) -> Tensor {
        reversedAxes(kernel, outer: kernel.shape[0], middle: 1, inner: kernel.shape[1]).reshaped([kernel.shape[1], kernel.shape[0]])
    }

    /// Keras axis of a tensor of `rank` → IR axis (only rank 4 differs: NHWC → NCHW).
    static func irAxis(_ kerasAxis: Int, rank: Int) -> Int? {
        let axis = kerasAxis < 0 ? kerasAxis + rank : kerasAxis
        guard axis >= 0, axis < rank else { return nil }
        return rank == 4 ? [0, 2, 3, 1][axis] : axis
    }

    /// IR shape of a Keras batch shape `[null, d1, …]`.
    static func irShape(kerasDims: [Int?]) -> Shape {
        var dims = [batchDim] + kerasDims.dropFirst().map { $0.map(Dim.known) ?? .symbol("?") }
        if dims.count == 4 { dims = [dims[0], dims[3], dims[1], dims[2]] }
        return Shape(dims)
    }
}
