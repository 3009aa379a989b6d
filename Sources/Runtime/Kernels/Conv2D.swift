/// 2-D convolution as GEMM over NHWC activations (any group count).
///
/// Layouts: input `[N, H, W, C]`, output `[N, OH, OW, O]` (NHWC storage of the
/// IR's NCHW values). Weights are repacked at plan time from OIHW
/// `[O, C/g, kH, kW]` to one `[kH * kW * C/g, O/g]` matrix per group, so each
/// output pixel is one row of `im2col(x) @ W`. A 1×1 stride-1 unpadded
/// convolution multiplies the input directly (no im2col). Rows are processed
/// in chunks so the columns and the output chunk stay in cache for the
/// bias + activation epilogue. OpenBLAS threads the GEMM; im2col and the
/// epilogue are split over the cores.
struct Conv2DKernel: Kernel {
    let g: ConvGeometry
    /// Per group, `[K, O/g]` row-major, `K = kH * kW * C/g`.
    let weights: FloatBuffer
    let bias: [Float]
    let activation: Activation
    let scratch: ScratchArena
    let chunkRows: Int

    var k: Int { g.kernelH * g.kernelW * (g.channels / g.group) }

    /// `weightOIHW` is `[O, C/g, kH, kW]` row-major; `bias` has `O` values.
    init(geometry: ConvGeometry, weightOIHW: [Float], bias: [Float], activation: Activation, scratch: ScratchArena) {
        self.g = geometry
        self.bias = bias
        self.activation = activation
        self.scratch = scratch
        let cg = g.channels / g.group, og = g.outChannels / g.group
        let k = g.kernelH * g.kernelW * cg
        var packed = [Float](repeating: 0, count: g.group * k * og)
        for o in 0..<g.outChannels {
            let group = o / og, ol = o % og
            for ci in 0..<cg {
                for ky in 0..<g.kernelH {
                    for kx in 0..<g.kernelW {
                        let src = ((o * cg + ci) * g.kernelH + ky) * g.kernelW + kx
                        let row = (ky * g.kernelW + kx) * cg + ci
                        packed[group * k * og + row * og + ol] = weightOIHW[src]
                    }
                }
            }
        }
        weights = FloatBuffer(packed)
        // Chunks of ~1 M floats of columns or output, at least 256 rows.
        chunkRows = min(g.outputPixels, max(256, (1 << 20) / max(k, g.outChannels)))
        if !g.isPointwise { scratch.reserve(chunkRows * k) }
    }

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0]
        let rows = g.outputPixels, o = g.outChannels
        let cg = g.channels / g.group, og = o / g.group, k = self.k
        let columns = g.isPointwise ? nil : scratch.pointer
        var r0 = 0
        while r0 < rows {
            let n = min(chunkRows, rows - r0)
            for group in 0..<g.group {
                let a: UnsafeMutablePointer<Float>
                if let columns {
                    im2col(x, rows: r0..<(r0 + n), channelOffset: group * cg, into: columns)
                    a = columns
                } else {
                    a = x + r0 * g.channels
                }
                BLAS.sgemm(m: n, n: og, k: k, a: a, lda: k, b: weights.pointer + group * k * og, ldb: og,
                           c: output + r0 * o + group * og, ldc: o)
            }
            epilogue(output + r0 * o, rows: n)
            r0 += n
        }
    }

    /// Copies the receptive field of each output pixel in `rows` (channels
    /// `channelOffset ..< channelOffset + C/g`) into one row of `[n, K]`; zeros where padded.
    private func im2col(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>, channelOffset: Int,
                        into columns: UnsafeMutablePointer<Float>) {
        let cg = g.channels / g.group, k = self.k
        let pixels = g.outHeight * g.outWidth
        Parallel.forRanges(rows.count, work: rows.count * k) { part in
            for i in part {
                let r = rows.lowerBound + i
                let b = r / pixels, oy = (r % pixels) / g.outWidth, ox = r % g.outWidth
                var dst = columns + i * k
                for ky in 0..<g.kernelH {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    for kx in 0..<g.kernelW {
                        let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                        if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                            dst.update(from: x + ((b * g.height + iy) * g.width + ix) * g.channels + channelOffset, count: cg)
                        } else {
                            dst.update(repeating: 0, count: cg)
                        }
                        dst += cg
                    }
                }
            }
        }
    }

    /// Adds the bias and applies the activation to `rows` output rows of `O` values.
    private func epilogue(_ y: UnsafeMutablePointer<Float>, rows: Int) {
        let o = g.outChannels
        bias.withUnsafeBufferPointer { bias in
            let b = UnsafeRawPointer(bias.baseAddress!)
            Parallel.forRanges(rows, work: rows * o) { part in
                for r in part {
                    let row = y + r * o
                    let raw = UnsafeMutableRawPointer(row)
                    var j = 0
                    while j + 16 <= o {
                        let v = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                            + b.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                        raw.storeBytes(of: v, toByteOffset: j * 4, as: SIMD16<Float>.self)
                        j += 16
                    }
                    while j < o { row[j] += bias[j]; j += 1 }
                    activation.apply(row, o)
                }
            }
        }
    }
}
