import GraphIR
import LinearAlgebra

/// 2-D convolution, channel-major (CNHW) in and out. Inputs: x, w (OIHW), bias (optional).
///
/// - 1×1, stride 1, no padding, one group: `Y[O, NHW] = W[O, C] · X[C, NHW]`, one GEMM;
///   backward `dW = dY · Xᵀ` and `dX = Wᵀ · dY`, one GEMM each.
/// - depthwise (`group == C == O`): direct loops per channel plane, channels split over the cores.
/// - otherwise: per group im2col into `[Cg·kh·kw, N·Ho·Wo]` + GEMM; backward GEMMs + col2im.
final class Conv2DKernel: Kernel {
    let node: NodeRef
    let a: Conv2DAttributes
    let cols = FloatBuffer()
    let dcols = FloatBuffer()
    // Geometry of the last forward.
    var n = 0, c = 0, h = 0, w = 0, o = 0, ho = 0, wo = 0, kh = 0, kw = 0
    var padT = 0, padL = 0, sh = 1, sw = 1, dh = 1, dw = 1, groups = 1

    /// Stride-1 "same" depthwise: per tap, a 0/1 validity mask over the channel block `[N, H·W]`
    /// and the flat input offset, so each tap is one contiguous multiply-add over the whole block.
    private var tapMasks: [Float] = []
    private var tapShifts: [Int] = []
    private var maskGeometry: [Int] = []

    init(_ node: NodeRef, _ a: Conv2DAttributes) { self.node = node; self.a = a }

    private var isFlatDepthwise: Bool { sh == 1 && sw == 1 && ho == h && wo == w }

    private func prepareTapMasks() {
        let geometry = [n, h, w, kh, kw, dh, dw, padT, padL]
        guard geometry != maskGeometry else { return }
        maskGeometry = geometry
        let plane = h * w, length = n * plane
        tapMasks = [Float](repeating: 0, count: kh * kw * length)
        tapShifts = []
        for ky in 0..<kh {
            for kx in 0..<kw {
                let t = ky * kw + kx
                tapShifts.append((ky * dh - padT) * w + (kx * dw - padL))
                for oy in 0..<h {
                    let iy = oy - padT + ky * dh
                    guard iy >= 0 && iy < h else { continue }
                    for ox in 0..<w {
                        let ix = ox - padL + kx * dw
                        guard ix >= 0 && ix < w else { continue }
                        for b in 0..<n { tapMasks[t * length + b * plane + oy * w + ox] = 1 }
                    }
                }
            }
        }
    }

    private var isPointwise: Bool {
        kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && ho == h && wo == w && groups == 1
    }
    private var isDepthwise: Bool { groups == c && o == c && groups > 1 }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]], ws = e.slots[node.inputs[1]]
        guard xs.shape.count == 4, ws.shape.count == 4 else { throw node.error("needs a 4-D input and OIHW weights, got \(xs.shape) and \(ws.shape)") }
        (n, c, h, w) = (xs.shape[0], xs.shape[1], xs.shape[2], xs.shape[3])
        (o, kh, kw) = (ws.shape[0], ws.shape[2], ws.shape[3])
        groups = a.group
        (sh, sw, dh, dw) = (a.strides[0], a.strides[1], a.dilations[0], a.dilations[1])
        guard c % groups == 0, o % groups == 0, ws.shape[1] == c / groups else {
            throw node.error("weights \(ws.shape) do not fit input \(xs.shape) with \(groups) groups")
        }
        let pads = Padding.explicitPads(a.autoPad, pads: a.pads, inputHW: [h, w], kernel: [kh, kw], strides: [sh, sw], dilations: [dh, dw])
        (padT, padL) = (pads[0], pads[1])
        ho = Padding.outputSize(input: h, kernel: kh, stride: sh, dilation: dh, padBegin: pads[0], padEnd: pads[2])
        wo = Padding.outputSize(input: w, kernel: kw, stride: sw, dilation: dw, padBegin: pads[1], padEnd: pads[3])
        let x = e.data(node.inputs[0], cnhw: true, key: 1)
        let wt = UnsafePointer(ws.data.pointer)
        let y = e.output(node.outputs[0], shape: [n, o, ho, wo], cnhw: true)
        let spatial = n * ho * wo
        if isPointwise {
            BLAS.parallelSgemm(m: o, n: spatial, k: c, a: wt, lda: c, b: x, ldb: spatial, c: y, ldc: spatial)
        } else if isDepthwise && isFlatDepthwise {
            prepareTapMasks()
            flatDepthwiseForward(x, wt, y)
        } else if isDepthwise {
            depthwiseForward(x, wt, y)
        } else {
            let cg = c / groups, og = o / groups, rows = cg * kh * kw
            let col = cols.ensure(rows * spatial)
            for g in 0..<groups {
                im2col(x + g * cg * n * h * w, channels: cg, col)
                BLAS.parallelSgemm(m: og, n: spatial, k: rows, a: wt + g * og * rows, lda: rows, b: col, ldb: spatial,
                           c: y + g * og * spatial, ldc: spatial)
            }
        }
        if node.inputs.count > 2, node.inputs[2] >= 0 {
            let b = e.slots[node.inputs[2]].data.pointer
            Parallel.forRanges(o, work: o * spatial) { r in
                for oc in r { let row = y + oc * spatial, bv = b[oc]; for i in 0..<spatial { row[i] += bv } }
            }
        }
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0], wi = node.inputs[1]
        let dy = e.grad(node.outputs[0], cnhw: true, key: 0)
        let spatial = n * ho * wo
        if node.inputs.count > 2, node.inputs[2] >= 0, e.slots[node.inputs[2]].needsGrad {
            let (db, assign) = e.gradTarget(node.inputs[2])
            for oc in 0..<o {
                let s = sum(dy + oc * spatial, spatial)
                db[oc] = assign ? s : db[oc] + s
            }
        }
        let needW = e.slots[wi].needsGrad, needX = e.slots[xi].needsGrad
        guard needW || needX else { return }
        let x = e.data(xi, cnhw: true, key: 1)
        let wt = UnsafePointer(e.slots[wi].data.pointer)
        let xcnhw = e.slots[xi].cnhw || e.slots[xi].shape.count != 4
        if isPointwise {
            if needW {
                let (dW, assign) = e.gradTarget(wi)
                BLAS.parallelSgemm(transB: true, m: o, n: c, k: spatial, a: dy, lda: spatial, b: x, ldb: spatial,
                           beta: assign ? 0 : 1, c: dW, ldc: c)
            }
            if needX {
                if xcnhw {
                    let (dX, assign) = e.gradTarget(xi)
                    BLAS.parallelSgemm(transA: true, m: c, n: spatial, k: o, a: wt, lda: c, b: dy, ldb: spatial,
                               beta: assign ? 0 : 1, c: dX, ldc: spatial)
                } else {
                    let tmp = dcols.ensure(c * spatial)
                    BLAS.parallelSgemm(transA: true, m: c, n: spatial, k: o, a: wt, lda: c, b: dy, ldb: spatial, c: tmp, ldc: spatial)
                    e.addGrad(xi, tmp, srcCNHW: true)
                }
            }
            return
        }
        if isDepthwise {
            let dW: UnsafeMutablePointer<Float>? = needW ? e.gradAccumulator(wi) : nil
            var dX: UnsafeMutablePointer<Float>? = nil
            if needX { dX = xcnhw ? e.gradAccumulator(xi) : { let t = dcols.ensure(c * n * h * w); t.initialize(repeating: 0, count: c * n * h * w); return t }() }
            if isFlatDepthwise { flatDepthwiseBackward(x, wt, dy, dW, dX) } else { depthwiseBackward(x, wt, dy, dW, dX) }
            if needX && !xcnhw { e.addGrad(xi, dX!, srcCNHW: true) }
            return
        }
        let cg = c / groups, og = o / groups, rows = cg * kh * kw
        let col = cols.ensure(rows * spatial)
        let dW: UnsafeMutablePointer<Float>? = needW ? e.gradAccumulator(wi) : nil
        var dX: UnsafeMutablePointer<Float>? = nil
        let planeCount = c * n * h * w
        let dxBuffer = FloatBuffer()
        if needX {
            dX = xcnhw ? e.gradAccumulator(xi) : dxBuffer.ensure(planeCount)
            if !xcnhw { dX!.initialize(repeating: 0, count: planeCount) }
        }
        let dcol = needX ? dcols.ensure(rows * spatial) : col
        for g in 0..<groups {
            if let dW {
                im2col(x + g * cg * n * h * w, channels: cg, col)
                BLAS.parallelSgemm(transB: true, m: og, n: rows, k: spatial, a: dy + g * og * spatial, lda: spatial,
                           b: col, ldb: spatial, beta: 1, c: dW + g * og * rows, ldc: rows)
            }
            if let dX {
                BLAS.parallelSgemm(transA: true, m: rows, n: spatial, k: og, a: wt + g * og * rows, lda: rows,
                           b: dy + g * og * spatial, ldb: spatial, c: dcol, ldc: spatial)
                col2im(dcol, channels: cg, dX + g * cg * n * h * w)
            }
        }
        if needX && !xcnhw { e.addGrad(xi, dX!, srcCNHW: true) }
    }

    /// The output columns `[lo, hi)` whose input column `ox * s - pad + k * d` lies in `[0, size)`.
    @inline(__always)
    private func validRange(out: Int, size: Int, stride s: Int, pad: Int, offset k: Int, dilation d: Int) -> (Int, Int) {
        let shift = k * d - pad
        // ox * s + shift >= 0  and  ox * s + shift <= size - 1
        let lo = shift >= 0 ? 0 : (-shift + s - 1) / s
        let hiIncl = size - 1 - shift
        let hi = hiIncl < 0 ? 0 : min(out, hiIncl / s + 1)
        return (lo, max(lo, hi))
    }

    /// `[channels, N, H, W]` → columns `[channels·kh·kw, N·Ho·Wo]`.
    private func im2col(_ x: UnsafePointer<Float>, channels: Int, _ col: UnsafeMutablePointer<Float>) {
        let (n, h, w, ho, wo, kh, kw) = (self.n, self.h, self.w, self.ho, self.wo, self.kh, self.kw)
        let (sh, sw, dh, dw, padT, padL) = (self.sh, self.sw, self.dh, self.dw, self.padT, self.padL)
        let spatial = n * ho * wo
        Parallel.forRanges(channels * kh * kw, work: channels * kh * kw * spatial) { rows in
            for r in rows {
                let ci = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
                let dst = col + r * spatial
                let (oxLo, oxHi) = self.validRange(out: wo, size: w, stride: sw, pad: padL, offset: kx, dilation: dw)
                for b in 0..<n {
                    let plane = x + (ci * n + b) * h * w
                    for oy in 0..<ho {
                        let row = dst + (b * ho + oy) * wo
                        let iy = oy * sh - padT + ky * dh
                        if iy < 0 || iy >= h { row.initialize(repeating: 0, count: wo); continue }
                        for ox in 0..<oxLo { row[ox] = 0 }
                        let src = plane + iy * w + kx * dw - padL
                        for ox in oxLo..<oxHi { row[ox] = src[ox * sw] }
                        for ox in oxHi..<wo { row[ox] = 0 }
                    }
                }
            }
        }
    }

    /// Adds columns `[channels·kh·kw, N·Ho·Wo]` back into `[channels, N, H, W]`.
    private func col2im(_ col: UnsafePointer<Float>, channels: Int, _ dx: UnsafeMutablePointer<Float>) {
        let (n, h, w, ho, wo, kh, kw) = (self.n, self.h, self.w, self.ho, self.wo, self.kh, self.kw)
        let (sh, sw, dh, dw, padT, padL) = (self.sh, self.sw, self.dh, self.dw, self.padT, self.padL)
        let spatial = n * ho * wo
        // Split by channel: different channels never write the same element.
        Parallel.forRanges(channels, work: channels * kh * kw * spatial) { chans in
            for ci in chans {
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let src = col + ((ci * kh + ky) * kw + kx) * spatial
                        let (oxLo, oxHi) = self.validRange(out: wo, size: w, stride: sw, pad: padL, offset: kx, dilation: dw)
                        for b in 0..<n {
                            let plane = dx + (ci * n + b) * h * w
                            for oy in 0..<ho {
                                let iy = oy * sh - padT + ky * dh
                                if iy < 0 || iy >= h { continue }
                                let row = src + (b * ho + oy) * wo
                                let dst = plane + iy * w + kx * dw - padL
                                for ox in oxLo..<oxHi { dst[ox * sw] += row[ox] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Stride-1 "same" depthwise forward: per channel and tap, `y[p] += w · mask[p] · x[p + shift]`
    /// over the channel's whole `[N, H·W]` block (the mask zeroes taps that fall outside the plane).
    private func flatDepthwiseForward(_ x: UnsafePointer<Float>, _ wt: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let length = n * h * w, taps = kh * kw
        let shifts = tapShifts
        tapMasks.withUnsafeBufferPointer { masks in
            let masks = masks.baseAddress!
            Parallel.forRanges(c, work: c * length * taps) { chans in
                for ch in chans {
                    let src = x + ch * length, dst = y + ch * length, k = wt + ch * taps
                    dst.initialize(repeating: 0, count: length)
                    for t in 0..<taps {
                        let wv = k[t], shift = shifts[t], m = masks + t * length
                        let lo = max(0, -shift), hi = min(length, length - shift)
                        guard lo < hi else { continue }
                        let s = src + shift
                        for p in lo..<hi { dst[p] += wv * m[p] * s[p] }
                    }
                }
            }
        }
    }

    /// Backward of `flatDepthwiseForward`: `dW[t] = Σ mask · dy · x[p + shift]`,
    /// `dX[p + shift] += w · mask · dy`.
    private func flatDepthwiseBackward(_ x: UnsafePointer<Float>, _ wt: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                       _ dW: UnsafeMutablePointer<Float>?, _ dX: UnsafeMutablePointer<Float>?) {
        let length = n * h * w, taps = kh * kw
        let shifts = tapShifts
        tapMasks.withUnsafeBufferPointer { masks in
            let masks = masks.baseAddress!
            Parallel.forRanges(c, work: c * length * taps * 2) { chans in
                let masked = UnsafeMutablePointer<Float>.allocate(capacity: length)
                defer { masked.deallocate() }
                for ch in chans {
                    let src = x + ch * length, g = dy + ch * length, k = wt + ch * taps
                    for t in 0..<taps {
                        let wv = k[t], shift = shifts[t], m = masks + t * length
                        let lo = max(0, -shift), hi = min(length, length - shift)
                        guard lo < hi else { continue }
                        for p in lo..<hi { masked[p] = m[p] * g[p] }
                        if let dW { dW[ch * taps + t] += dot(masked + lo, src + shift + lo, hi - lo) }
                        if let dX {
                            let d = dX + ch * length + shift
                            for p in lo..<hi { d[p] += wv * masked[p] }
                        }
                    }
                }
            }
        }
    }

    /// Depthwise forward, one channel at a time: the channel's `[N, H·W]` block is transposed to
    /// `[H·W, N]` so every tap is a vector multiply-add over the batch (planes here are tiny, 5×5
    /// in MobileNetV2's last blocks, so per-row loops would be all overhead).
    private func depthwiseForward(_ x: UnsafePointer<Float>, _ wt: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let (n, h, w, ho, wo, kh, kw) = (self.n, self.h, self.w, self.ho, self.wo, self.kh, self.kw)
        let (sh, sw, dh, dw, padT, padL) = (self.sh, self.sw, self.dh, self.dw, self.padT, self.padL)
        Parallel.forRanges(c, work: c * n * ho * wo * kh * kw) { chans in
            let xt = UnsafeMutablePointer<Float>.allocate(capacity: n * h * w)
            let yt = UnsafeMutablePointer<Float>.allocate(capacity: n * ho * wo)
            defer { xt.deallocate(); yt.deallocate() }
            for ch in chans {
                let k = wt + ch * kh * kw
                transpose(x + ch * n * h * w, rows: n, cols: h * w, xt)
                yt.initialize(repeating: 0, count: n * ho * wo)
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let wv = k[ky * kw + kx]
                        let (oxLo, oxHi) = self.validRange(out: wo, size: w, stride: sw, pad: padL, offset: kx, dilation: dw)
                        for oy in 0..<ho {
                            let iy = oy * sh - padT + ky * dh
                            if iy < 0 || iy >= h { continue }
                            for ox in oxLo..<oxHi {
                                let ix = ox * sw - padL + kx * dw
                                let d = yt + (oy * wo + ox) * n, s = xt + (iy * w + ix) * n
                                for b in 0..<n { d[b] += wv * s[b] }
                            }
                        }
                    }
                }
                transpose(yt, rows: ho * wo, cols: n, y + ch * n * ho * wo)
            }
        }
    }

    /// Depthwise backward per channel in the same `[H·W, N]` form: `dW` taps are dot products
    /// over the batch, `dX` rows are vector multiply-adds.
    private func depthwiseBackward(_ x: UnsafePointer<Float>, _ wt: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                   _ dW: UnsafeMutablePointer<Float>?, _ dX: UnsafeMutablePointer<Float>?) {
        let (n, h, w, ho, wo, kh, kw) = (self.n, self.h, self.w, self.ho, self.wo, self.kh, self.kw)
        let (sh, sw, dh, dw, padT, padL) = (self.sh, self.sw, self.dh, self.dw, self.padT, self.padL)
        Parallel.forRanges(c, work: c * n * ho * wo * kh * kw * 2) { chans in
            let xt = UnsafeMutablePointer<Float>.allocate(capacity: n * h * w)
            let dxt = UnsafeMutablePointer<Float>.allocate(capacity: n * h * w)
            let gt = UnsafeMutablePointer<Float>.allocate(capacity: n * ho * wo)
            let back = UnsafeMutablePointer<Float>.allocate(capacity: n * h * w)
            defer { xt.deallocate(); dxt.deallocate(); gt.deallocate(); back.deallocate() }
            for ch in chans {
                let k = wt + ch * kh * kw
                if dW != nil { transpose(x + ch * n * h * w, rows: n, cols: h * w, xt) }
                transpose(dy + ch * n * ho * wo, rows: n, cols: ho * wo, gt)
                if dX != nil { dxt.initialize(repeating: 0, count: n * h * w) }
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let wv = k[ky * kw + kx]
                        let (oxLo, oxHi) = self.validRange(out: wo, size: w, stride: sw, pad: padL, offset: kx, dilation: dw)
                        var gw: Float = 0
                        for oy in 0..<ho {
                            let iy = oy * sh - padT + ky * dh
                            if iy < 0 || iy >= h { continue }
                            for ox in oxLo..<oxHi {
                                let ix = ox * sw - padL + kx * dw
                                let g = gt + (oy * wo + ox) * n, off = (iy * w + ix) * n
                                if dW != nil { gw += dot(g, xt + off, n) }
                                if dX != nil { let d = dxt + off; for b in 0..<n { d[b] += wv * g[b] } }
                            }
                        }
                        if let dW { dW[ch * kh * kw + ky * kw + kx] += gw }
                    }
                }
                if let dX {
                    transpose(dxt, rows: h * w, cols: n, back)
                    let dst = dX + ch * n * h * w
                    for i in 0..<(n * h * w) { dst[i] += back[i] }
                }
            }
        }
    }
}

/// `dst[j, i] = src[i, j]` for `src` of `[rows, cols]`.
@inline(__always)
private func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>) {
    for i in 0..<rows {
        let s = src + i * cols
        for j in 0..<cols { dst[j * rows + i] = s[j] }
    }
}
