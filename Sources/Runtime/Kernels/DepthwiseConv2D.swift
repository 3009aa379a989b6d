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
        let c = g.channels
        let vectorEnd = c - c % 16
        Parallel.forRanges(g.batch * g.outHeight, work: g.outputPixels * c * g.kernelH * g.kernelW) { rows in
            for row in rows {
                let b = row / g.outHeight, oy = row % g.outHeight
                let dstRow = output + row * g.outWidth * c
                // Pixel groups outside, channels inside: reads walk memory in order.
                var ox = 0
                while ox < g.outWidth {
                    var c0 = 0
                    while c0 < vectorEnd {
                        vectorPixels(inputs[0], dstRow, b: b, oy: oy, ox: ox, c0: c0)
                        c0 += 16
                    }
                    ox += 4
                }
                if vectorEnd < c { scalarRow(inputs[0], dstRow, b: b, oy: oy, channels: vectorEnd..<c) }
                activation.apply(dstRow, g.outWidth * c)
            }
        }
    }

    /// Channels `c0 ..< c0 + 16` of output pixels `ox ..< ox + 4` of one row:
    /// four independent accumulators hide the FMA latency.
    @inline(__always)
    private func vectorPixels(_ xp: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, b: Int, oy: Int, ox: Int, c0: Int) {
        let x = UnsafeRawPointer(xp), w = UnsafeRawPointer(weights.pointer), out = UnsafeMutableRawPointer(dst)
        let c = g.channels, sw = g.strideW, dw = g.dilationW
        let bias = UnsafeRawPointer(self.bias.pointer).loadUnaligned(fromByteOffset: c0 * 4, as: SIMD16<Float>.self)
        let iy0 = oy * g.strideH - g.padTop
        let n = min(4, g.outWidth - ox)
        var a0 = bias, a1 = bias, a2 = bias, a3 = bias
        let firstX = ox * sw - g.padLeft
        let interior = n == 4 && firstX >= 0 && firstX + 3 * sw + (g.kernelW - 1) * dw < g.width
        for ky in 0..<g.kernelH {
            let iy = iy0 + ky * g.dilationH
            if iy < 0 || iy >= g.height { continue }
            let rowBase = (b * g.height + iy) * g.width
            if interior {
                // All four windows inside the row: no bounds checks.
                var p = x + ((rowBase + firstX) * c + c0) * 4
                let step = sw * c * 4
                var wp = w + (ky * g.kernelW * c + c0) * 4
                for _ in 0..<g.kernelW {
                    let wv = wp.loadUnaligned(as: SIMD16<Float>.self)
                    a0.addProduct(p.loadUnaligned(as: SIMD16<Float>.self), wv)
                    a1.addProduct(p.loadUnaligned(fromByteOffset: step, as: SIMD16<Float>.self), wv)
                    a2.addProduct(p.loadUnaligned(fromByteOffset: 2 * step, as: SIMD16<Float>.self), wv)
                    a3.addProduct(p.loadUnaligned(fromByteOffset: 3 * step, as: SIMD16<Float>.self), wv)
                    p += dw * c * 4
                    wp += c * 4
                }
                continue
            }
            for kx in 0..<g.kernelW {
                let wv = w.loadUnaligned(fromByteOffset: ((ky * g.kernelW + kx) * c + c0) * 4, as: SIMD16<Float>.self)
                let ix0 = firstX + kx * dw
                @inline(__always) func tap(_ j: Int) -> SIMD16<Float> {
                    let ix = ix0 + j * sw
                    if ix < 0 || ix >= g.width || j >= n { return .zero }
                    return x.loadUnaligned(fromByteOffset: ((rowBase + ix) * c + c0) * 4, as: SIMD16<Float>.self)
                }
                a0.addProduct(tap(0), wv)
                a1.addProduct(tap(1), wv)
                a2.addProduct(tap(2), wv)
                a3.addProduct(tap(3), wv)
            }
        }
        out.storeBytes(of: a0, toByteOffset: (ox * c + c0) * 4, as: SIMD16<Float>.self)
        if n > 1 { out.storeBytes(of: a1, toByteOffset: ((ox + 1) * c + c0) * 4, as: SIMD16<Float>.self) }
        if n > 2 { out.storeBytes(of: a2, toByteOffset: ((ox + 2) * c + c0) * 4, as: SIMD16<Float>.self) }
        if n > 3 { out.storeBytes(of: a3, toByteOffset: ((ox + 3) * c + c0) * 4, as: SIMD16<Float>.self) }
    }

    /// Channels that do not fill a 16-wide vector.
    private func scalarRow(_ x: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, b: Int, oy: Int, channels: Range<Int>) {
        let c = g.channels
        for ox in 0..<g.outWidth {
            let iy0 = oy * g.strideH - g.padTop, ix0 = ox * g.strideW - g.padLeft
            for ch in channels {
                var acc = bias.pointer[ch]
                for ky in 0..<g.kernelH {
                    let iy = iy0 + ky * g.dilationH
                    if iy < 0 || iy >= g.height { continue }
                    for kx in 0..<g.kernelW {
                        let ix = ix0 + kx * g.dilationW
                        if ix < 0 || ix >= g.width { continue }
                        acc += x[((b * g.height + iy) * g.width + ix) * c + ch] * weights.pointer[(ky * g.kernelW + kx) * c + ch]
                    }
                }
                dst[ox * c + ch] = acc
            }
        }
    }
}
