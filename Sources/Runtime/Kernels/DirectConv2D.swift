import Foundation

/// Direct 2-D convolution for inputs with few channels: the RGB stem of a CNN
/// (`C ≤ 4`, `group == 1`, `O` a multiple of 32).
///
/// With `K = kH * kW * C` as small as 27, im2col + GEMM spends more time
/// moving the `[pixels, 27]` columns and the output through the cache than
/// multiplying (the stems ran at 19–27 GMAC/s). Here each tile of 2 output
/// pixels × 32 channels lives in eight AVX2 accumulators; every input value is
/// broadcast once per tile and multiplied with a row of the packed weights
/// (`[K, O]`, in L1), then bias and the activation are applied in registers
/// and the tile is stored once. Pixels whose window crosses the padding take a
/// checked one-pixel path. The cores split the output rows.
struct DirectConv2DKernel: Kernel {
    let g: ConvGeometry
    /// `[K, O]` row-major, `K = kH * kW * C`, rows in (ky, kx, c) order.
    let weights: FloatBuffer
    /// `[O]`.
    let bias: FloatBuffer
    let activation: Activation
    /// ReLU and Clip as a clamp applied in registers; `lo = -inf, hi = inf` otherwise.
    let lo: Float, hi: Float

    /// `GRAFT_DIRECT_CONV=0` runs these convolutions as im2col + GEMM (for A/B measurements).
    static let enabled = ProcessInfo.processInfo.environment["GRAFT_DIRECT_CONV"] != "0"

    static func applies(to g: ConvGeometry) -> Bool {
        g.group == 1 && g.channels <= 4 && g.outChannels % 32 == 0 && !g.isPointwise
    }

    /// `weightOIHW` is `[O, C, kH, kW]` row-major; `bias` has `O` values.
    init(geometry: ConvGeometry, weightOIHW: [Float], bias: [Float], activation: Activation,
         cache: WeightCache = WeightCache(), key: String = "") {
        precondition(Self.applies(to: geometry), "direct convolution needs C ≤ 4, one group and O % 32 == 0")
        self.g = geometry
        self.activation = activation
        switch activation {
        case .relu: (lo, hi) = (0, .infinity)
        case .clip(let a, let b): (lo, hi) = (a, b)
        default: (lo, hi) = (-.infinity, .infinity)
        }
        self.bias = FloatBuffer(bias)
        let o = g.outChannels, c = g.channels, kH = g.kernelH, kW = g.kernelW
        weights = cache.buffer("direct conv \(key) \(o) \(c) \(kH) \(kW)", source: weightOIHW) {
            var packed = [Float](repeating: 0, count: kH * kW * c * o)
            for oc in 0..<o {
                for ci in 0..<c {
                    for ky in 0..<kH {
                        for kx in 0..<kW {
                            packed[((ky * kW + kx) * c + ci) * o + oc] = weightOIHW[((oc * c + ci) * kH + ky) * kW + kx]
                        }
                    }
                }
            }
            return packed
        }
    }

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let rows = g.batch * g.outHeight
        let work = g.outputPixels * g.outChannels * g.kernelH * g.kernelW * g.channels / 64
        Parallel.forRanges(rows, work: work) { part in
            for r in part { computeRow(r, inputs[0], output) }
        }
    }

    /// Output row `r` (image `r / OH`, row `r % OH`), every pixel and channel.
    private func computeRow(_ r: Int, _ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        let b = r / g.outHeight, oy = r % g.outHeight
        let x = UnsafePointer(input + b * g.height * g.width * g.channels)
        let y = output + r * g.outWidth * g.outChannels
        let iy0 = oy * g.strideH - g.padTop
        let rowInside = iy0 >= 0 && iy0 + (g.kernelH - 1) * g.dilationH < g.height
        // Output columns whose window lies inside the input horizontally.
        let firstInside = min(g.outWidth, max(0, (g.padLeft + g.strideW - 1) / g.strideW))
        let lastWindowStart = g.width - 1 - (g.kernelW - 1) * g.dilationW  // largest valid ix0
        let endInside = lastWindowStart < 0 ? firstInside
            : max(firstInside, min(g.outWidth, (lastWindowStart + g.padLeft) / g.strideW + 1))
        for j0 in stride(from: 0, to: g.outChannels, by: 32) {
            var ox = 0
            if rowInside {
                while ox < firstInside { pixelChecked(x, y, oy: oy, ox: ox, j0: j0); ox += 1 }
                // The channel count as a literal, so the innermost loop unrolls.
                switch g.channels {
                case 3: while ox + 2 <= endInside { pixelPair(x, y, iy0: iy0, ox: ox, j0: j0, c: 3); ox += 2 }
                case 1: while ox + 2 <= endInside { pixelPair(x, y, iy0: iy0, ox: ox, j0: j0, c: 1); ox += 2 }
                default: while ox + 2 <= endInside { pixelPair(x, y, iy0: iy0, ox: ox, j0: j0, c: g.channels); ox += 2 }
                }
            }
            while ox < g.outWidth { pixelChecked(x, y, oy: oy, ox: ox, j0: j0); ox += 1 }
        }
        switch activation {
        case .none, .relu, .clip: break
        default: activation.apply(y, g.outWidth * g.outChannels)
        }
    }

    /// Two neighbouring output pixels whose windows are inside the input, channels `j0 ..< j0 + 32`.
    @inline(__always)
    private func pixelPair(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, iy0: Int, ox: Int, j0: Int, c: Int) {
        let o = g.outChannels
        let bp = UnsafeRawPointer(bias.pointer + j0)
        var a0 = bp.loadUnaligned(as: SIMD8<Float>.self), a1 = bp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        var a2 = bp.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), a3 = bp.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        var b0 = a0, b1 = a1, b2 = a2, b3 = a3
        let ix0 = ox * g.strideW - g.padLeft, pairStep = g.strideW * c
        var w = UnsafeRawPointer(weights.pointer + j0)
        let rowBytes = o * 4
        for ky in 0..<g.kernelH {
            let row = x + ((iy0 + ky * g.dilationH) * g.width + ix0) * c
            for kx in 0..<g.kernelW {
                let p = row + kx * g.dilationW * c
                for ci in 0..<c {
                    let x0 = SIMD8<Float>(repeating: p[ci]), x1 = SIMD8<Float>(repeating: p[pairStep + ci])
                    let w0 = w.loadUnaligned(as: SIMD8<Float>.self), w1 = w.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                    let w2 = w.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), w3 = w.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                    a0 = a0.addingProduct(x0, w0); a1 = a1.addingProduct(x0, w1); a2 = a2.addingProduct(x0, w2); a3 = a3.addingProduct(x0, w3)
                    b0 = b0.addingProduct(x1, w0); b1 = b1.addingProduct(x1, w1); b2 = b2.addingProduct(x1, w2); b3 = b3.addingProduct(x1, w3)
                    w += rowBytes
                }
            }
        }
        store(a0, a1, a2, a3, to: y + ox * o + j0)
        store(b0, b1, b2, b3, to: y + (ox + 1) * o + j0)
    }

    /// One output pixel, skipping the taps that fall in the padding.
    private func pixelChecked(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, oy: Int, ox: Int, j0: Int) {
        let c = g.channels, o = g.outChannels
        let bp = UnsafeRawPointer(bias.pointer + j0)
        var a0 = bp.loadUnaligned(as: SIMD8<Float>.self), a1 = bp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        var a2 = bp.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), a3 = bp.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        for ky in 0..<g.kernelH {
            let iy = oy * g.strideH - g.padTop + ky * g.dilationH
            guard iy >= 0 && iy < g.height else { continue }
            for kx in 0..<g.kernelW {
                let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                guard ix >= 0 && ix < g.width else { continue }
                let p = x + (iy * g.width + ix) * c
                for ci in 0..<c {
                    let v = SIMD8<Float>(repeating: p[ci])
                    let w = UnsafeRawPointer(weights.pointer + ((ky * g.kernelW + kx) * c + ci) * o + j0)
                    a0 = a0.addingProduct(v, w.loadUnaligned(as: SIMD8<Float>.self))
                    a1 = a1.addingProduct(v, w.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                    a2 = a2.addingProduct(v, w.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
                    a3 = a3.addingProduct(v, w.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
                }
            }
        }
        store(a0, a1, a2, a3, to: y + ox * o + j0)
    }

    /// 32 floats at `p`, clamped to `lo ... hi` (ReLU and Clip; other activations run over the finished row).
    @inline(__always)
    private func store(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>, to p: UnsafeMutablePointer<Float>) {
        @inline(__always) func clamp(_ v: SIMD8<Float>) -> SIMD8<Float> {
            v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
        }
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: clamp(v0), as: SIMD8<Float>.self)
        raw.storeBytes(of: clamp(v1), toByteOffset: 32, as: SIMD8<Float>.self)
        raw.storeBytes(of: clamp(v2), toByteOffset: 64, as: SIMD8<Float>.self)
        raw.storeBytes(of: clamp(v3), toByteOffset: 96, as: SIMD8<Float>.self)
    }
}
