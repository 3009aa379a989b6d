/// An activation over a whole value, any layout (elementwise).
struct ActivationKernel: Kernel {
    let activation: Activation
    let count: Int

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0]
        Parallel.forRanges((count + 4095) / 4096, work: count) { blocks in
            let lo = blocks.lowerBound * 4096, hi = min(blocks.upperBound * 4096, count)
            (output + lo).update(from: x + lo, count: hi - lo)
            activation.apply(output + lo, hi - lo)
        }
    }
}

/// `y = x * scale[c] + shift[c]` then an activation: inference BatchNorm that
/// could not be folded into a convolution. The value is viewed physically as
/// `[outer, channels, inner]` (the channel axis wherever the layout put it).
struct ChannelAffineKernel: Kernel {
    let outer: Int, channels: Int, inner: Int
    let scale: [Float], shift: [Float]
    let activation: Activation

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0]
        Parallel.forRanges(outer * channels, work: outer * channels * inner) { rows in
            for r in rows {
                let c = r % channels
                let s = scale[c], t = shift[c]
                let src = x + r * inner, dst = output + r * inner
                for i in 0..<inner { dst[i] = src[i] * s + t }
                activation.apply(dst, inner)
            }
        }
    }
}
