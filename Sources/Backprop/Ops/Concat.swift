/// Concatenation along one axis. 4-D inputs are taken in the layout of the first
/// activation input; the axis is mapped to the physical order (channels are rows when CNHW).
final class ConcatKernel: Kernel {
    let node: NodeRef
    let axis: Int
    var cnhw = false, physAxis = 0, outer = 0, chunks: [Int] = []

    init(_ node: NodeRef, axis: Int) { self.node = node; self.axis = axis }

    func forward(_ e: Engine) throws {
        let first = e.slots[node.inputs[0]]
        let r = first.shape.count
        let ax = axis < 0 ? axis + r : axis
        cnhw = r == 4 && node.inputs.contains { e.slots[$0].cnhw }
        var out = first.shape
        out[ax] = node.inputs.reduce(0) { $0 + e.slots[$1].shape[ax] }
        physAxis = cnhw && ax < 2 ? 1 - ax : ax
        let phys = cnhw ? [out[1], out[0], out[2], out[3]] : out
        outer = phys[..<physAxis].reduce(1, *)
        let inner = phys[(physAxis + 1)...].reduce(1, *)
        chunks = node.inputs.map { e.slots[$0].shape[ax] * inner }
        let y = e.output(node.outputs[0], shape: out, cnhw: cnhw)
        let total = chunks.reduce(0, +)
        var offset = 0
        for (k, v) in node.inputs.enumerated() {
            let x = e.data(v, cnhw: cnhw, key: -20)
            for o in 0..<outer { (y + o * total + offset).update(from: x + o * chunks[k], count: chunks[k]) }
            offset += chunks[k]
        }
    }

    func backward(_ e: Engine) throws {
        let dy = e.grad(node.outputs[0], cnhw: cnhw, key: 0)
        let total = chunks.reduce(0, +)
        var offset = 0
        for (k, v) in node.inputs.enumerated() {
            defer { offset += chunks[k] }
            guard e.slots[v].needsGrad else { continue }
            let t = e.buffer(-21, chunks[k] * outer)
            for o in 0..<outer { (t + o * chunks[k]).update(from: dy + o * total + offset, count: chunks[k]) }
            e.addGrad(v, t, srcCNHW: cnhw)
        }
    }
}
