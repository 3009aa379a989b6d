/// Constant padding (non-negative pads) of a tensor of rank ≤ 4, in the input's layout.
/// Inputs: x, pads (int64 `[begin_0 … begin_r, end_0 … end_r]`, a constant).
final class PadKernel: Kernel {
    let node: NodeRef
    let value: Float
    var inPhys: [Int] = [], outPhys: [Int] = [], begin: [Int] = [], cnhw = false

    init(_ node: NodeRef, value: Float) { self.node = node; self.value = value }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]]
        guard let pads = e.slots[node.inputs[1]].ints?.map(Int.init) else { throw node.error("pads must be a constant") }
        let r = xs.shape.count
        guard r <= 4, pads.count == 2 * r, pads.allSatisfy({ $0 >= 0 }) else {
            throw node.error("supports rank ≤ 4 with non-negative pads, got \(xs.shape) pads \(pads)")
        }
        var b = Array(pads[..<r]), en = Array(pads[r...])
        var out = zip(xs.shape, zip(b, en)).map { $0 + $1.0 + $1.1 }
        cnhw = xs.cnhw
        var inS = xs.shape
        if cnhw { inS.swapAt(0, 1); out.swapAt(0, 1); b.swapAt(0, 1); en.swapAt(0, 1) }
        let lead = 4 - r
        inPhys = [Int](repeating: 1, count: lead) + inS
        outPhys = [Int](repeating: 1, count: lead) + out
        begin = [Int](repeating: 0, count: lead) + b
        var logical = out
        if cnhw { logical.swapAt(0, 1) }
        let y = e.output(node.outputs[0], shape: logical, cnhw: cnhw)
        y.initialize(repeating: value, count: outPhys.reduce(1, *))
        copyRows(from: xs.data.pointer, to: y, gather: false)
    }

    /// Moves each innermost input row between the input and its place in the output:
    /// input → output in forward; output → input (accumulating) when `gather`.
    private func copyRows(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, gather: Bool) {
        let i = inPhys, o = outPhys, b = begin
        for a in 0..<i[0] { for c in 0..<i[1] { for d in 0..<i[2] {
            let inOff = ((a * i[1] + c) * i[2] + d) * i[3]
            let outOff = (((a + b[0]) * o[1] + c + b[1]) * o[2] + d + b[2]) * o[3] + b[3]
            if gather { for k in 0..<i[3] { dst[inOff + k] += src[outOff + k] } }
            else { (dst + outOff).update(from: src + inOff, count: i[3]) }
        } } }
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0]
        guard e.slots[xi].needsGrad else { return }
        let dy = e.grad(node.outputs[0], cnhw: cnhw, key: 0)
        copyRows(from: dy, to: e.gradAccumulator(xi), gather: true)
    }
}
