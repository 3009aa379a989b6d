import GraphIR

/// Average and max pooling over H and W: one plane per (n, c), so any 4-D layout works
/// and the output keeps the input's. Max-pool backward routes to the first maximum.
final class PoolKernel: Kernel {
    let node: NodeRef
    let a: PoolAttributes
    let isMax: Bool
    var planes = 0, h = 0, w = 0, ho = 0, wo = 0, padT = 0, padL = 0, padB = 0, padR = 0

    init(_ node: NodeRef, _ a: PoolAttributes, max: Bool) { self.node = node; self.a = a; self.isMax = max }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]]
        guard xs.shape.count == 4 else { throw node.error("needs a 4-D input, got \(xs.shape)") }
        planes = xs.shape[0] * xs.shape[1]; h = xs.shape[2]; w = xs.shape[3]
        let (kh, kw) = (a.kernel[0], a.kernel[1]), (sh, sw) = (a.strides[0], a.strides[1])
        let p = Padding.explicitPads(a.autoPad, pads: a.pads, inputHW: [h, w], kernel: a.kernel, strides: a.strides)
        (padT, padL, padB, padR) = (p[0], p[1], p[2], p[3])
        ho = Padding.outputSize(input: h, kernel: kh, stride: sh, dilation: 1, padBegin: padT, padEnd: padB, ceilMode: a.ceilMode)
        wo = Padding.outputSize(input: w, kernel: kw, stride: sw, dilation: 1, padBegin: padL, padEnd: padR, ceilMode: a.ceilMode)
        let x = xs.data.pointer
        let y = e.output(node.outputs[0], shape: [xs.shape[0], xs.shape[1], ho, wo], cnhw: xs.cnhw)
        visit { plane, o, window, divisor in
            let src = x + plane * self.h * self.w
            if self.isMax {
                var m = -Float.infinity
                for i in window { m = max(m, src[i]) }
                y[plane * self.ho * self.wo + o] = m
            } else {
                var s: Float = 0
                for i in window { s += src[i] }
                y[plane * self.ho * self.wo + o] = s / Float(divisor)
            }
        }
    }

    /// Calls `body(plane, outputIndex, inputIndices, divisor)` for every output cell.
    private func visit(_ body: (Int, Int, [Int], Int) -> Void) {
        let (kh, kw) = (a.kernel[0], a.kernel[1]), (sh, sw) = (a.strides[0], a.strides[1])
        var windows: [([Int], Int)] = []
        for oy in 0..<ho {
            for ox in 0..<wo {
                var idx: [Int] = []
                let y0 = oy * sh - padT, x0 = ox * sw - padL
                var padded = 0
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let iy = y0 + ky, ix = x0 + kx
                        if iy >= 0 && iy < h && ix >= 0 && ix < w { idx.append(iy * w + ix) }
                        else if iy < h + padB && ix < w + padR { padded += 1 }
                    }
                }
                windows.append((idx, a.countIncludePad ? idx.count + padded : idx.count))
            }
        }
        for plane in 0..<planes {
            for (o, win) in windows.enumerated() { body(plane, o, win.0, max(win.1, 1)) }
        }
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0]
        guard e.slots[xi].needsGrad else { return }
        let xs = e.slots[xi]
        let x = xs.data.pointer
        let dy = e.grad(node.outputs[0], cnhw: xs.cnhw, key: 0)
        let dx = e.gradAccumulator(xi)
        visit { plane, o, window, divisor in
            let g = dy[plane * self.ho * self.wo + o]
            let base = plane * self.h * self.w
            if self.isMax {
                var best = -Float.infinity, at = -1
                for i in window where x[base + i] > best { best = x[base + i]; at = i }
                if at >= 0 { dx[base + at] += g }
            } else {
                let share = g / Float(divisor)
                for i in window { dx[base + i] += share }
            }
        }
    }
}

/// globalAveragePool and reduceMean over the spatial axes `[2, 3]`: mean of each (n, c) plane.
/// With `keepDims` the output `[N, C, 1, 1]` keeps the input's layout; without, it is `[N, C]`.
final class SpatialMeanKernel: Kernel {
    let node: NodeRef
    let keepDims: Bool
    var n = 0, c = 0, hw = 0, inCNHW = false

    init(_ node: NodeRef, keepDims: Bool) { self.node = node; self.keepDims = keepDims }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]]
        guard xs.shape.count == 4 else { throw node.error("needs a 4-D input, got \(xs.shape)") }
        (n, c, hw, inCNHW) = (xs.shape[0], xs.shape[1], xs.shape[2] * xs.shape[3], xs.cnhw)
        let x = xs.data.pointer
        let y = e.output(node.outputs[0], shape: keepDims ? [n, c, 1, 1] : [n, c], cnhw: xs.cnhw)
        let (n, c, hw) = (self.n, self.c, self.hw)
        let transpose = !keepDims && inCNHW
        let inv = 1 / Float(hw)
        Parallel.forRanges(n * c, work: n * c * hw) { r in
            for p in r {
                let src = x + p * hw
                var s: Float = 0
                for i in 0..<hw { s += src[i] }
                // Plane p is (c, n) when channel-major; a 2-D output is always [N, C].
                let o = transpose ? (p % n) * c + p / n : p
                y[o] = s * inv
            }
        }
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0]
        guard e.slots[xi].needsGrad else { return }
        let dy = e.grad(node.outputs[0], cnhw: inCNHW, key: 0)
        let (dx, assign) = e.gradTarget(xi)
        let (n, c, hw) = (self.n, self.c, self.hw)
        let transpose = !keepDims && inCNHW
        let inv = 1 / Float(hw)
        Parallel.forRanges(n * c, work: n * c * hw) { r in
            for p in r {
                let g = dy[transpose ? (p % n) * c + p / n : p] * inv
                let dst = dx + p * hw
                if assign { for i in 0..<hw { dst[i] = g } } else { for i in 0..<hw { dst[i] += g } }
            }
        }
    }
}
