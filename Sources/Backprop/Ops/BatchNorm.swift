import Foundation

/// Batch normalisation over channel rows (CNHW: channel `c` is one contiguous row of N·H·W).
/// Inputs: x, scale, bias, mean, variance.
///
/// - moving statistics (`frozen`, `affine`, or any mode at inference): a per-channel affine
///   `y = (x - mean) · scale / sqrt(var + eps) + bias`;
/// - `train` mode in a training forward: batch mean and (biased) variance normalise; the moving
///   statistics become `momentum · moving + (1 - momentum) · batch` with the unbiased batch variance
///   (as Keras' fused kernel and PyTorch do).
final class BatchNormKernel: Kernel {
    let node: NodeRef
    let epsilon: Float
    let mode: BatchNormMode
    let momentum: Float
    var mean: [Float] = [], invStd: [Float] = []
    var usedBatchStats = false
    var rowLength = 0, channels = 0
    /// A following relu/clip fused in (`y = clip(bn(x), lo, hi)`, written to `node.outputs[0]`,
    /// which is then the activation's output). Its backward mask comes from `y`:
    /// `lo < y < hi` exactly when `lo < bn(x) < hi`.
    let clip: (lo: Float, hi: Float)?

    init(_ node: NodeRef, epsilon: Float, mode: BatchNormMode, momentum: Float, clip: (lo: Float, hi: Float)? = nil) {
        self.node = node
        self.clip = clip
        self.epsilon = epsilon
        self.mode = mode
        self.momentum = momentum
    }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]]
        guard xs.shape.count == 4 || xs.shape.count == 2 else { throw node.error("supports 4-D or 2-D inputs only, got \(xs.shape)") }
        channels = xs.shape[1]
        let m = xs.count / max(channels, 1)
        rowLength = m
        let x = e.data(node.inputs[0], cnhw: true, key: 1)
        let x2 = xs.shape.count == 2 ? transposed2D(x, rows: xs.shape[0], cols: channels, e) : x
        let y = e.output(node.outputs[0], shape: xs.shape, cnhw: true)
        let scale = e.slots[node.inputs[1]].data.pointer, bias = e.slots[node.inputs[2]].data.pointer
        let movingMean = e.slots[node.inputs[3]].data.pointer, movingVar = e.slots[node.inputs[4]].data.pointer
        usedBatchStats = e.training && mode == .train
        if mean.count != channels { mean = .init(repeating: 0, count: channels); invStd = mean }
        let c = channels, eps = epsilon, batch = usedBatchStats
        let yRows = xs.shape.count == 2 ? e.buffer(-2, xs.count) : y
        mean.withUnsafeMutableBufferPointer { meanP in
            invStd.withUnsafeMutableBufferPointer { invP in
                Parallel.forRanges(c, work: c * m * 2) { r in
                    for ch in r {
                        let row = x2 + ch * m, out = yRows + ch * m
                        var mu = movingMean[ch], v = movingVar[ch]
                        if batch {
                            mu = sum(row, m) / Float(m)
                            v = sumSquaredDeviation(row, m, from: mu) / Float(m)
                        }
                        let inv = 1 / (v + eps).squareRoot()
                        meanP[ch] = mu
                        invP[ch] = inv
                        let a = scale[ch] * inv, b = bias[ch] - mu * a
                        if let (lo, hi) = clip {
                            for i in 0..<m { out[i] = min(max(row[i] * a + b, lo), hi) }
                        } else {
                            for i in 0..<m { out[i] = row[i] * a + b }
                        }
                    }
                }
            }
        }
        if xs.shape.count == 2 { back2D(yRows, y, rows: xs.shape[0], cols: c) }
        if batch {
            let mo = momentum, unbiased = m > 1 ? Float(m) / Float(m - 1) : 1
            for ch in 0..<c {
                let v = 1 / (invStd[ch] * invStd[ch]) - eps
                movingMean[ch] = mo * movingMean[ch] + (1 - mo) * mean[ch]
                movingVar[ch] = mo * movingVar[ch] + (1 - mo) * v * unbiased
            }
        }
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0], si = node.inputs[1], bi = node.inputs[2]
        let xs = e.slots[xi]
        let is2D = xs.shape.count == 2
        let m = rowLength, c = channels
        var x = e.data(xi, cnhw: true, key: 1)
        var dy = e.grad(node.outputs[0], cnhw: true, key: 0)
        if is2D {
            x = transposed2D(x, rows: xs.shape[0], cols: c, e)
            let t = e.buffer(-3, xs.count)
            for i in 0..<xs.shape[0] { for j in 0..<c { t[j * m + i] = dy[i * c + j] } }
            dy = UnsafePointer(t)
        }
        let scale = e.slots[si].data.pointer
        let needX = xs.needsGrad, needS = e.slots[si].needsGrad, needB = e.slots[bi].needsGrad
        let dS: (UnsafeMutablePointer<Float>, assign: Bool)? = needS ? e.gradTarget(si) : nil
        let dB: (UnsafeMutablePointer<Float>, assign: Bool)? = needB ? e.gradTarget(bi) : nil
        let dXT: (UnsafeMutablePointer<Float>, assign: Bool)? = needX && xs.cnhw && !is2D ? e.gradTarget(xi) : nil
        let direct = dXT != nil
        let dx = dXT?.0 ?? e.buffer(-4, xs.count)
        let assignX = dXT?.assign ?? true
        let batch = usedBatchStats
        let clip = self.clip
        let y = is2D ? nil : Optional(e.data(node.outputs[0], cnhw: true, key: 3))
        mean.withUnsafeBufferPointer { meanP in
            invStd.withUnsafeBufferPointer { invP in
                Parallel.forRanges(c, work: c * m * 3) { r in
                    let masked = clip == nil ? nil : UnsafeMutablePointer<Float>.allocate(capacity: m)
                    defer { masked?.deallocate() }
                    for ch in r {
                        let row = x + ch * m, mu = meanP[ch], inv = invP[ch]
                        var g = dy + ch * m
                        if let masked, let (lo, hi) = clip, let y {
                            let out = y + ch * m
                            for i in 0..<m { masked[i] = out[i] > lo && out[i] < hi ? g[i] : 0 }
                            g = UnsafePointer(masked)
                        }
                        let sumG = sum(g, m)
                        let sumGX = (dot(g, row, m) - mu * sumG) * inv  // Σ dy · x̂
                        if let dS { dS.0[ch] = dS.assign ? sumGX : dS.0[ch] + sumGX }
                        if let dB { dB.0[ch] = dB.assign ? sumG : dB.0[ch] + sumG }
                        guard needX else { continue }
                        let out = dx + ch * m
                        let a = scale[ch] * inv
                        if batch {
                            // dx = a · (dy - mean(dy) - x̂ · mean(dy · x̂))
                            let mg = sumG / Float(m), mgx = sumGX / Float(m)
                            for i in 0..<m {
                                let d = a * (g[i] - mg - (row[i] - mu) * inv * mgx)
                                out[i] = assignX ? d : out[i] + d
                            }
                        } else {
                            for i in 0..<m { let d = a * g[i]; out[i] = assignX ? d : out[i] + d }
                        }
                    }
                }
            }
        }
        if needX && !direct {
            if is2D {
                let t = e.buffer(-5, xs.count)
                back2D(dx, t, rows: xs.shape[0], cols: c)
                e.addGrad(xi, t, srcCNHW: false)
            } else {
                e.addGrad(xi, dx, srcCNHW: true)
            }
        }
    }

    /// `[rows, cols]` → `[cols, rows]` in scratch.
    private func transposed2D(_ x: UnsafePointer<Float>, rows: Int, cols: Int, _ e: Engine) -> UnsafePointer<Float> {
        let t = e.buffer(-1, rows * cols)
        for i in 0..<rows { for j in 0..<cols { t[j * rows + i] = x[i * cols + j] } }
        return UnsafePointer(t)
    }

    /// `[cols, rows]` → `[rows, cols]`.
    private func back2D(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for i in 0..<rows { for j in 0..<cols { dst[i * cols + j] = src[j * rows + i] } }
    }
}
