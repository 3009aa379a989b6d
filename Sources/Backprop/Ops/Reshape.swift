/// reshape, flatten, squeeze, unsqueeze: row-major (NCHW) data unchanged, a new shape
/// taken from the actual input (the batch dimension varies). Backward copies the gradient.
final class ReshapeKernel: Kernel {
    enum Kind { case reshape, flatten(Int), squeeze([Int]), unsqueeze([Int]) }
    let node: NodeRef
    let kind: Kind

    init(_ node: NodeRef, _ kind: Kind) { self.node = node; self.kind = kind }

    private func outputShape(_ e: Engine, _ s: [Int]) throws -> [Int] {
        let count = s.reduce(1, *)
        switch kind {
        case .flatten(let axis):
            let a = axis < 0 ? axis + s.count : axis
            return [s[..<a].reduce(1, *), s[a...].reduce(1, *)]
        case .squeeze(let axes):
            let ax = Set(axes.map { $0 < 0 ? $0 + s.count : $0 })
            return s.enumerated().filter { ax.isEmpty ? $0.element != 1 : !ax.contains($0.offset) }.map(\.element)
        case .unsqueeze(let axes):
            let r = s.count + axes.count
            let ax = Set(axes.map { $0 < 0 ? $0 + r : $0 })
            var it = s.makeIterator()
            return (0..<r).map { ax.contains($0) ? 1 : it.next()! }
        case .reshape:
            guard node.inputs.count > 1, let target = e.slots[node.inputs[1]].ints else { throw node.error("the target shape must be a constant") }
            var out = target.enumerated().map { $0.element == 0 ? s[$0.offset] : Int($0.element) }
            if let i = out.firstIndex(of: -1) {
                let known = out.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
                out[i] = known == 0 ? 0 : count / known
            }
            guard out.reduce(1, *) == count else { throw node.error("cannot reshape \(s) to \(target)", hint: "use 0 or -1 for the batch dimension") }
            return out
        }
    }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]]
        let shape = try outputShape(e, xs.shape)
        let x = e.data(node.inputs[0], cnhw: false, key: 1)
        e.output(node.outputs[0], shape: shape, cnhw: false).update(from: x, count: xs.count)
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0]
        guard e.slots[xi].needsGrad else { return }
        let dy = e.grad(node.outputs[0], cnhw: false, key: 0)
        e.addGrad(xi, dy, srcCNHW: false)
    }
}

/// Transpose by `perm` (row-major, any rank); backward applies the inverse permutation.
final class TransposeKernel: Kernel {
    let node: NodeRef
    let perm: [Int]
    var inShape: [Int] = []

    init(_ node: NodeRef, perm: [Int]) { self.node = node; self.perm = perm }

    /// `dst[permuted index] (+)= src[index]` for `src` of shape `shape`, output axes `perm`.
    static func permute(_ src: UnsafePointer<Float>, shape: [Int], perm: [Int], _ dst: UnsafeMutablePointer<Float>, add: Bool) {
        let r = shape.count
        let outShape = perm.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strideOfOut = perm.map { inStrides[$0] }
        var idx = [Int](repeating: 0, count: r)
        let total = shape.reduce(1, *)
        var off = 0
        for o in 0..<total {
            if add { dst[o] += src[off] } else { dst[o] = src[off] }
            var k = r - 1
            while k >= 0 {
                idx[k] += 1; off += strideOfOut[k]
                if idx[k] < outShape[k] { break }
                off -= strideOfOut[k] * outShape[k]; idx[k] = 0; k -= 1
            }
        }
    }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]]
        let p = perm.isEmpty ? Array((0..<xs.shape.count).reversed()) : perm
        guard p.count == xs.shape.count else { throw node.error("perm \(perm) does not fit \(xs.shape)") }
        inShape = xs.shape
        let x = e.data(node.inputs[0], cnhw: false, key: 1)
        let y = e.output(node.outputs[0], shape: p.map { xs.shape[$0] }, cnhw: false)
        Self.permute(x, shape: xs.shape, perm: p, y, add: false)
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0]
        guard e.slots[xi].needsGrad else { return }
        let p = perm.isEmpty ? Array((0..<inShape.count).reversed()) : perm
        var inverse = p
        for (i, v) in p.enumerated() { inverse[v] = i }
        let dy = e.grad(node.outputs[0], cnhw: false, key: 0)
        let t = e.buffer(-30, inShape.reduce(1, *))
        Self.permute(dy, shape: p.map { inShape[$0] }, perm: inverse, t, add: false)
        e.addGrad(xi, t, srcCNHW: false)
    }
}
