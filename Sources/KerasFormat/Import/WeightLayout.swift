import TensorCore

/// Layout changes applied to Keras weights once, at import.
enum WeightLayout {
    /// `y[i…] = x[i permuted]`: axis `k` of the result is axis `perm[k]` of `x` (NumPy `transpose`).
    static func permuted(_ x: Tensor, _ perm: [Int]) -> Tensor {
        let rank = x.rank
        precondition(perm.count == rank && Set(perm) == Set(0..<rank), "bad permutation \(perm) for rank \(rank)")
        let source = x.scalars
        let outShape = perm.map { x.shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for k in stride(from: rank - 2, through: 0, by: -1) { inStrides[k] = inStrides[k + 1] * x.shape[k + 1] }
        let strides = perm.map { inStrides[$0] }
        var out = [Float](repeating: 0, count: source.count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<out.count {
            var offset = 0
            for k in 0..<rank { offset += index[k] * strides[k] }
            out[o] = source[offset]
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < outShape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return Tensor(shape: outShape, scalars: out)
    }

    /// Conv2D kernel `[kH, kW, in, out]` (HWIO) → `[out, in, kH, kW]` (OIHW).
    static func convKernel(_ hwio: Tensor) -> Tensor { permuted(hwio, [3, 2, 0, 1]) }

    /// DepthwiseConv2D kernel `[kH, kW, in, multiplier]` → `[in * multiplier, 1, kH, kW]`;
    /// output channel `c * multiplier + m` reads input channel `c`, as in Keras.
    static func depthwiseKernel(_ kernel: Tensor) -> Tensor {
        let (kh, kw, c, m) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        return permuted(kernel, [2, 3, 0, 1]).reshaped([c * m, 1, kh, kw])
    }

    /// Dense kernel `[in, out]` → `[out, in]` for `gemm(transB: true)`.
    static func denseKernel(_ kernel: Tensor) -> Tensor { permuted(kernel, [1, 0]) }

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
