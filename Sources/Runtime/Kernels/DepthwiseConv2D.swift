/// Depthwise 2-D convolution (`group == C == O`), direct and vectorised over
/// channels with `SIMD16<Float>`.
///
/// Layouts: input `[N, H, W, C]`, output `[N, OH, OW, C]`; weights repacked at
/// plan time from OIHW `[C, 1, kH, kW]` to `[kH, kW, C]`. Bias and activation
/// are applied in the same pass. Parallel over output rows `(n, oy)`.
struct DepthwiseConv2DKernel: Kernel {
    let g: ConvGeometry
    /// `[kH, kW, C]`.
    let weights: FloatBuffer
    let bias: FloatBuffer
    let activation: Activation

    init(geometry: ConvGeometry, weightOIHW: [Float], bias: [Float], activation: Activation) {
        precondition(geometry.isDepthwise, "depthwise kernel needs group == channels == outChannels")
        self.g = geometry
        self.activation = activation
        let c = g.channels, taps = g.kernelH * g.kernelW
        var packed = [Float](repeating: 0, count: taps * c)
        for ch in 0..<c { for t in 0..<taps { packed[t * c + ch] = weightOIHW[ch * taps + t] } }
        weights = FloatBuffer(packed)
        self.bias = FloatBuffer(bias)
    }

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = UnsafeRawPointer(inputs[0])
        let c = g.channels
        let w = UnsafeRawPointer(weights.pointer), bias = UnsafeRawPointer(self.bias.pointer)
        let vectorEnd = c - c % 16
        Parallel.forRanges(g.batch * g.outHeight, work: g.outputPixels * c * g.kernelH * g.kernelW) { rows in
            for row in rows {
                let b = row / g.outHeight, oy = row % g.outHeight
                let iy0 = oy * g.strideH - g.padTop
                for ox in 0..<g.outWidth {
                    let ix0 = ox * g.strideW - g.padLeft
                    let dst = output + ((b * g.outHeight + oy) * g.outWidth + ox) * c
                    var c0 = 0
                    while c0 < vectorEnd {
                        var acc = bias.loadUnaligned(fromByteOffset: c0 * 4, as: SIMD16<Float>.self)
                        for ky in 0..<g.kernelH {
                            let iy = iy0 + ky * g.dilationH
                            if iy < 0 || iy >= g.height { continue }
                            let rowBase = (b * g.height + iy) * g.width
                            for kx in 0..<g.kernelW {
                                let ix = ix0 + kx * g.dilationW
                                if ix < 0 || ix >= g.width { continue }
                                let xv = x.loadUnaligned(fromByteOffset: ((rowBase + ix) * c + c0) * 4, as: SIMD16<Float>.self)
                                let wv = w.loadUnaligned(fromByteOffset: ((ky * g.kernelW + kx) * c + c0) * 4, as: SIMD16<Float>.self)
                                acc.addProduct(xv, wv)
                            }
                        }
                        UnsafeMutableRawPointer(dst).storeBytes(of: acc, toByteOffset: c0 * 4, as: SIMD16<Float>.self)
                        c0 += 16
                    }
                    for ch in vectorEnd..<c {
                        var acc = self.bias.pointer[ch]
                        for ky in 0..<g.kernelH {
                            let iy = iy0 + ky * g.dilationH
                            if iy < 0 || iy >= g.height { continue }
                            for kx in 0..<g.kernelW {
                                let ix = ix0 + kx * g.dilationW
                                if ix < 0 || ix >= g.width { continue }
                                acc += inputs[0][((b * g.height + iy) * g.width + ix) * c + ch]
                                    * weights.pointer[(ky * g.kernelW + kx) * c + ch]
                            }
                        }
                        dst[ch] = acc
                    }
                    activation.apply(dst, c)
                }
            }
        }
    }
}
