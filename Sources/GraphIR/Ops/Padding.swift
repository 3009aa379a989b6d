/// Padding arithmetic shared by convolution and pooling.
public enum Padding {
    /// `[begin, end]` padding of one spatial axis for "same" output size `ceil(input / stride)`.
    /// TensorFlow's "same" and ONNX's `SAME_UPPER` put an odd extra pad at the end.
    public static func same(input: Int, kernel: Int, stride: Int, dilation: Int, upper: Bool = true) -> (Int, Int) {
        let output = (input + stride - 1) / stride
        let effectiveKernel = (kernel - 1) * dilation + 1
        let total = max((output - 1) * stride + effectiveKernel - input, 0)
        let small = total / 2
        return upper ? (small, total - small) : (total - small, small)
    }

    /// Output size of one spatial axis with explicit pads.
    public static func outputSize(input: Int, kernel: Int, stride: Int, dilation: Int,
                                  padBegin: Int, padEnd: Int, ceilMode: Bool = false) -> Int {
        let effectiveKernel = (kernel - 1) * dilation + 1
        let span = input + padBegin + padEnd - effectiveKernel
        if span < 0 { return 0 }
        return (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    }

    /// Explicit `[top, left, bottom, right]` pads for `autoPad` given the input's `[H, W]`.
    public static func explicitPads(_ autoPad: AutoPad, pads: [Int], inputHW: [Int], kernel: [Int],
                                    strides: [Int], dilations: [Int] = [1, 1]) -> [Int] {
        switch autoPad {
        case .explicit: return pads
        case .valid: return [0, 0, 0, 0]
        case .sameUpper, .sameLower:
            let upper = autoPad == .sameUpper
            let h = same(input: inputHW[0], kernel: kernel[0], stride: strides[0], dilation: dilations[0], upper: upper)
            let w = same(input: inputHW[1], kernel: kernel[1], stride: strides[1], dilation: dilations[1], upper: upper)
            return [h.0, w.0, h.1, w.1]
        }
    }
}
