/// Depthwise 2-D convolution (`group == C == O`), direct, 16 channels at a time.
///
/// Layouts: input `[N, H, W, C]`, output `[N, OH, OW, C]`; weights repacked at
/// plan time from OIHW `[C, 1, kH, kW]` to `[C/16 blocks, kH * kW, 16]`
/// (zero-padded to whole blocks), bias likewise.
///
/// Per image and block of 16 channels, the input plane is first copied into a
/// zero-padded scratch plane `[Hp, Wp, 16]` (one cache line per pixel): the
/// padding becomes real zeros, so there are no edge cases, and every tap of
/// an output tile sits at a compile-time byte offset from one pointer. Each
/// tile is 4 output pixels × 16 channels in eight AVX2 accumulators (the last
/// 1–3 pixels of a row in a tile of two and one of one); each tap
/// is two weight loads and eight FMAs whose inputs are memory operands, so the
/// loop is FMA-bound. Bias, and ReLU/Clip, are applied in registers before
/// the store (other activations in a pass over the finished row).
/// The cores split the (image, channel block) pairs.
struct DepthwiseConv2DKernel: Kernel {
    let g: ConvGeometry
    /// `[blocks, kH * kW, 16]`.
    let weights: FloatBuffer
    /// `[blocks * 16]`.
    let bias: FloatBuffer
    let activation: Activation
    let scratch: ScratchArena
    let blocks: Int
    /// Padded plane: rows and columns (exactly the windows of the output).
    let planeH: Int, planeW: Int

    /// With a `cache`, the packed weights are shared under `key` (the node's name).
    init(geometry: ConvGeometry, weightOIHW: [Float], bias: [Float], activation: Activation, scratch: ScratchArena,
         cache: WeightCache = WeightCache(), key: String = "") {
        precondition(geometry.isDepthwise, "depthwise kernel needs group == channels == outChannels")
        self.g = geometry
        self.activation = activation
        self.scratch = scratch
        let c = g.channels, taps = g.kernelH * g.kernelW
        blocks = (c + 15) / 16
        let blocks = self.blocks
        weights = cache.buffer("depthwise \(key) \(c) \(g.kernelH) \(g.kernelW)", source: weightOIHW) {
            var packed = [Float](repeating: 0, count: blocks * taps * 16)
            for ch in 0..<c {
                for t in 0..<taps { packed[((ch / 16) * taps + t) * 16 + ch % 16] = weightOIHW[ch * taps + t] }
            }
            return packed
        }
        self.bias = FloatBuffer(bias + [Float](repeating: 0, count: blocks * 16 - c))
        planeH = (g.outHeight - 1) * g.strideH + (g.kernelH - 1) * g.dilationH + 1
        planeW = (g.outWidth - 1) * g.strideW + (g.kernelW - 1) * g.dilationW + 1
        scratch.reserve(planeH * planeW * 16 * Parallel.cores)
    }

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let tasks = g.batch * blocks
        let work = g.outputPixels * g.channels * g.kernelH * g.kernelW
        let workers = work < 65_536 ? 1 : min(Parallel.cores, tasks)
        let planeFloats = planeH * planeW * 16
        let base = scratch.pointer
        // One large image: each core takes a band of output rows in every channel block, so
        // it reads the input rows the previous (row-split) kernel wrote on it, and an odd
        // block count does not leave a core idle. Otherwise the cores take (image, block) pairs.
        let bands = g.batch == 1 && workers > 1 && g.outHeight >= 20
        Parallel.perform(workers) { worker in
            let plane = base + worker * planeFloats
            var rows = 0..<g.outHeight, planeRows = 0..<planeH
            if bands {
                rows = (g.outHeight * worker / workers)..<(g.outHeight * (worker + 1) / workers)
                if rows.isEmpty { return }  // more cores than rows
                planeRows = (rows.lowerBound * g.strideH)..<min(planeH, (rows.upperBound - 1) * g.strideH
                                                                    + (g.kernelH - 1) * g.dilationH + 1)
            }
            // With bands: every block of the one image; else every `workers`-th (image, block) pair.
            for task in bands ? Array(0..<blocks) : Array(stride(from: worker, to: tasks, by: workers)) {
                let b = task / blocks, block = task % blocks
                convolve(block: block, of: inputs[0] + b * g.height * g.width * g.channels,
                         into: output + b * g.outHeight * g.outWidth * g.channels, plane: plane,
                         rows: rows, planeRows: planeRows)
            }
        }
    }

    /// Output rows `rows` of one channel block of one image (`x` and `output` at its pixel 0),
    /// through the plane rows `planeRows` they read. Called from one place: with a second
    /// copy of the inlined tile loops, the compiler's code for one of them ran 4x slower.
    @inline(__always)
    private func convolve(block: Int, of x: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>,
                          plane: UnsafeMutablePointer<Float>, rows: Range<Int>, planeRows: Range<Int>) {
        fillPlane(plane, from: x, c0: block * 16, rows: planeRows)
        switch g.strideW {
        case 1: computeBlock(plane, output, block: block, strideW: 1, rows: rows)
        case 2: computeBlock(plane, output, block: block, strideW: 2, rows: rows)
        default: computeBlock(plane, output, block: block, strideW: g.strideW, rows: rows)
        }
    }

    /// Copies channels `c0 ..< c0 + 16` of one image (`x` at its pixel 0) into
    /// `plane[Hp, Wp, 16]`, zeros where the window reads padding or missing channels.
    private func fillPlane(_ plane: UnsafeMutablePointer<Float>, from x: UnsafeMutablePointer<Float>, c0: Int,
                           rows: Range<Int>) {
        let c = g.channels, lanes = min(16, c - c0)
        let first = min(max(g.padLeft, 0), planeW)               // plane column of input column 0
        let last = min(max(g.padLeft + g.width, first), planeW)  // one past the last copied column
        for r in rows {
            let iy = r - g.padTop
            let dst = plane + r * planeW * 16
            guard iy >= 0 && iy < g.height else {
                dst.update(repeating: 0, count: planeW * 16)
                continue
            }
            if first > 0 { dst.update(repeating: 0, count: first * 16) }
            let src = x + (iy * g.width + (first - g.padLeft)) * c + c0
            if lanes == 16 {
                let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst + first * 16)
                let stride = c * 4
                for q in 0..<(last - first) {
                    let v0 = s.loadUnaligned(fromByteOffset: q * stride, as: SIMD8<Float>.self)
                    let v1 = s.loadUnaligned(fromByteOffset: q * stride + 32, as: SIMD8<Float>.self)
                    d.storeBytes(of: v0, toByteOffset: q * 64, as: SIMD8<Float>.self)
                    d.storeBytes(of: v1, toByteOffset: q * 64 + 32, as: SIMD8<Float>.self)
                }
            } else {
                for q in 0..<(last - first) {
                    for l in 0..<16 { dst[(first + q) * 16 + l] = l < lanes ? src[q * c + l] : 0 }
                }
            }
            if last < planeW { (dst + last * 16).update(repeating: 0, count: (planeW - last) * 16) }
        }
    }

    @inline(__always)
    private func clamp(_ v: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
        v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
    }

    /// Stores one pixel's 16 accumulated channels (`lanes` of them real), clamped to `lo ... hi`.
    @inline(__always)
    private func store(_ a: SIMD8<Float>, _ b: SIMD8<Float>, to q: UnsafeMutablePointer<Float>, lanes: Int,
                       _ lo: Float, _ hi: Float) {
        let (a, b) = (clamp(a, lo, hi), clamp(b, lo, hi))
        if lanes == 16 {
            let d = UnsafeMutableRawPointer(q)
            d.storeBytes(of: a, as: SIMD8<Float>.self)
            d.storeBytes(of: b, toByteOffset: 32, as: SIMD8<Float>.self)
        } else {
            for l in 0..<lanes { q[l] = l < 8 ? a[l] : b[l - 8] }
        }
    }

    /// The last `pixels` (1–3) of an output row: two, then one. Kept out of line: inlined,
    /// it changed the 4-pixel loop's code, and the kernel ran 3x slower on one core.
    @inline(never)
    private func tail(from window: UnsafeRawPointer, pixels: Int, to dst: UnsafeMutablePointer<Float>, weights w: UnsafeRawPointer,
                      bias: (SIMD8<Float>, SIMD8<Float>), lanes: Int, pixelStep: Int, tapStep: Int, rowStep: Int,
                      _ lo: Float, _ hi: Float) {
        let c = g.channels
        var x = 0
        if pixels >= 2 {
            // Two pixels: four independent accumulators keep the FMA pipes busier than two.
            var a0 = bias.0, b0 = bias.1, a1 = bias.0, b1 = bias.1
            var r = window
            var wp = w
            for _ in 0..<g.kernelH {
                var p = r
                for _ in 0..<g.kernelW {
                    let w0 = wp.loadUnaligned(as: SIMD8<Float>.self), w1 = wp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                    a0.addProduct(p.loadUnaligned(as: SIMD8<Float>.self), w0)
                    b0.addProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w1)
                    a1.addProduct(p.loadUnaligned(fromByteOffset: pixelStep, as: SIMD8<Float>.self), w0)
                    b1.addProduct(p.loadUnaligned(fromByteOffset: pixelStep + 32, as: SIMD8<Float>.self), w1)
                    p += tapStep
                    wp += 64
                }
                r += rowStep
            }
            store(a0, b0, to: dst, lanes: lanes, lo, hi)
            store(a1, b1, to: dst + c, lanes: lanes, lo, hi)
            x = 2
        }
        if x < pixels {
            var a = bias.0, b = bias.1
            var r = window + x * pixelStep
            var wp = w
            for _ in 0..<g.kernelH {
                var p = r
                for _ in 0..<g.kernelW {
                    a.addProduct(p.loadUnaligned(as: SIMD8<Float>.self), wp.loadUnaligned(as: SIMD8<Float>.self))
                    b.addProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self),
                                 wp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                    p += tapStep
                    wp += 64
                }
                r += rowStep
            }
            store(a, b, to: dst + x * c, lanes: lanes, lo, hi)
        }
    }

    /// All output rows of one channel block from its padded plane. `strideW`
    /// is passed as a literal where possible so tap offsets become immediates.
    @inline(__always)
    private func computeBlock(_ plane: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>, block: Int, strideW: Int,
                              rows: Range<Int>) {
        let c = g.channels, c0 = block * 16, lanes = min(16, c - c0)
        let kH = g.kernelH, kW = g.kernelW
        let pixelStep = strideW * 64                 // bytes between neighbouring output pixels' windows
        let tapStep = g.dilationW * 64
        let rowStep = g.dilationH * planeW * 64
        let w = UnsafeRawPointer(weights.pointer + block * kH * kW * 16)
        let bp = UnsafeRawPointer(bias.pointer + c0)
        let bias0 = bp.loadUnaligned(as: SIMD8<Float>.self), bias1 = bp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        // ReLU and Clip are clamps done in registers; the rest run over the stored row.
        let (lo, hi, inRegisters): (Float, Float, Bool)
        switch activation {
        case .none: (lo, hi, inRegisters) = (-.infinity, .infinity, true)
        case .relu: (lo, hi, inRegisters) = (0, .infinity, true)
        case .clip(let a, let b): (lo, hi, inRegisters) = (a, b, true)
        default: (lo, hi, inRegisters) = (-.infinity, .infinity, false)
        }
        let planeBytes = UnsafeRawPointer(plane)
        for oy in rows {
            let rowBase = planeBytes + oy * g.strideH * planeW * 64
            let dstRow = output + (oy * g.outWidth * c + c0)
            var ox = 0
            while ox + 4 <= g.outWidth {
                var a0 = bias0, a1 = bias0, a2 = bias0, a3 = bias0
                var b0 = bias1, b1 = bias1, b2 = bias1, b3 = bias1
                var r = rowBase + ox * pixelStep
                var wp = w
                for _ in 0..<kH {
                    var p = r
                    for _ in 0..<kW {
                        let w0 = wp.loadUnaligned(as: SIMD8<Float>.self)
                        let w1 = wp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                        a0.addProduct(p.loadUnaligned(as: SIMD8<Float>.self), w0)
                        b0.addProduct(p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w1)
                        a1.addProduct(p.loadUnaligned(fromByteOffset: pixelStep, as: SIMD8<Float>.self), w0)
                        b1.addProduct(p.loadUnaligned(fromByteOffset: pixelStep + 32, as: SIMD8<Float>.self), w1)
                        a2.addProduct(p.loadUnaligned(fromByteOffset: 2 * pixelStep, as: SIMD8<Float>.self), w0)
                        b2.addProduct(p.loadUnaligned(fromByteOffset: 2 * pixelStep + 32, as: SIMD8<Float>.self), w1)
                        a3.addProduct(p.loadUnaligned(fromByteOffset: 3 * pixelStep, as: SIMD8<Float>.self), w0)
                        b3.addProduct(p.loadUnaligned(fromByteOffset: 3 * pixelStep + 32, as: SIMD8<Float>.self), w1)
                        p += tapStep
                        wp += 64
                    }
                    r += rowStep
                }
                let d = UnsafeMutableRawPointer(dstRow + ox * c)
                if lanes == 16 {
                    @inline(__always) func put(_ j: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
                        d.storeBytes(of: clamp(a, lo, hi), toByteOffset: j * c * 4, as: SIMD8<Float>.self)
                        d.storeBytes(of: clamp(b, lo, hi), toByteOffset: j * c * 4 + 32, as: SIMD8<Float>.self)
                    }
                    put(0, a0, b0)
                    put(1, a1, b1)
                    put(2, a2, b2)
                    put(3, a3, b3)
                } else {
                    for (j, (a, b)) in [(a0, b0), (a1, b1), (a2, b2), (a3, b3)].enumerated() {
                        store(a, b, to: dstRow + (ox + j) * c, lanes: lanes, lo, hi)
                    }
                }
                ox += 4
            }
            // The last 1–3 pixels one at a time: the plane ends at the last real window
            // (a 5-wide output would otherwise compute 8 pixels and fill their plane).
            if ox < g.outWidth {
                tail(from: rowBase + ox * pixelStep, pixels: g.outWidth - ox, to: dstRow + ox * c, weights: w,
                     bias: (bias0, bias1), lanes: lanes, pixelStep: pixelStep, tapStep: tapStep, rowStep: rowStep, lo, hi)
            }
            if !inRegisters {
                for x in 0..<g.outWidth { activation.apply(dstRow + x * c, lanes) }
            }
        }
    }
}
