import TensorCore

/// The inverse of the import-time layout changes: IR weights back to Keras'.
/// Every function only permutes elements, so values survive bit for bit.
extension WeightLayout {
    /// `[O, I, kH, kW]` (OIHW) → `[kH, kW, I, O]` (HWIO); also grouped kernels (`I` = in / groups).
    static func kerasConvKernel(_ oihw: Tensor) -> Tensor {
        let (o, i, kh, kw) = (oihw.shape[0], oihw.shape[1], oihw.shape[2], oihw.shape[3])
        return reversedAxes(oihw, outer: o, middle: i, inner: kh * kw).reshaped([kh, kw, i, o])
    }

    /// `[C * M, 1, kH, kW]` → `[kH, kW, C, M]` (DepthwiseConv2D's kernel).
    static func kerasDepthwiseKernel(_ weight: Tensor, channels: Int) -> Tensor {
        let (cm, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        return reversedAxes(weight, outer: cm, middle: 1, inner: kh * kw).reshaped([kh, kw, channels, cm / channels])
    }

    /// `[out, in]` → `[in, out]` (Dense kernel).
    static func kerasDenseKernel(_ weight: Tensor) -> Tensor {
        let (o, i) = (weight.shape[0], weight.shape[1])
        return reversedAxes(weight, outer: o, middle: 1, inner: i).reshaped([i, o])
    }

    /// An IR shape as Keras sees the tensor: batch first as `nil`, rank-4 NCHW → NHWC.
    static func kerasShape(irShape: Shape) -> [Int?] {
        var dims: [Int?] = [nil] + irShape.dims.dropFirst().map(\.value)
        if dims.count == 4 { dims = [dims[0], dims[2], dims[3], dims[1]] }
        return dims
    }

    /// IR axis of a value of `rank` → Keras axis (rank 4: NCHW → NHWC; others unchanged).
    static func kerasAxis(_ irAxis: Int, rank: Int) -> Int? {
        let axis = irAxis < 0 ? irAxis + rank : irAxis
        guard axis >= 0, axis < rank else { return nil }
        return rank == 4 ? [0, 3, 1, 2][axis] : axis
    }
}
