/// add, sub, mul, div with NumPy broadcasting (up to rank 4).
///
/// Operands are right-aligned to rank 4; when the output is 4-D and an operand is a
/// channel-major activation, everything is taken channel-major (a `[1, C, 1, 1]` bias or a
/// `[N, C, 1, 1]` squeeze-excite scale becomes a per-row factor). Backward reduces the output
/// gradient over each operand's broadcast axes.
final class BinaryKernel: Kernel {
    enum Kind { case add, sub, mul, div }
    let node: NodeRef
    let kind: Kind
    var useCNHW = false
    var outPhys: [Int] = [], aPhys: [Int] = [], bPhys: [Int] = []
    let da = FloatBuffer(), db = FloatBuffer()

    init(_ node: NodeRef, _ kind: Kind) { self.node = node; self.kind = kind }

    /// Shape padded to rank 4 and permuted to the physical order.
    private func physical(_ shape: [Int]) -> [Int] {
        let s = [Int](repeating: 1, count: 4 - shape.count) + shape
        return useCNHW ? [s[1], s[0], s[2], s[3]] : s
    }

    private func operand(_ e: Engine, _ v: Int, key: Int) -> UnsafePointer<Float> {
        let s = e.slots[v]
        guard useCNHW, !s.cnhw else { return UnsafePointer(s.data.pointer) }
        let padded = [Int](repeating: 1, count: 4 - s.shape.count) + s.shape
        if padded[0] == 1 || padded[1] == 1 { return UnsafePointer(s.data.pointer) }  // swapping a size-1 axis moves nothing
        let d = e.buffer(key, s.count)
        swapLeadingAxes(s.data.pointer, d, a: padded[0], b: padded[1], inner: padded[2] * padded[3])
        return UnsafePointer(d)
    }

    func forward(_ e: Engine) throws {
        let a = e.slots[node.inputs[0]], b = e.slots[node.inputs[1]]
        guard a.shape.count <= 4, b.shape.count <= 4 else { throw node.error("supports rank ≤ 4, got \(a.shape) and \(b.shape)") }
        let r = max(a.shape.count, b.shape.count)
        let pa = [Int](repeating: 1, count: r - a.shape.count) + a.shape
        let pb = [Int](repeating: 1, count: r - b.shape.count) + b.shape
        var out = [Int]()
        for i in 0..<r {
            guard pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1 else { throw node.error("cannot broadcast \(a.shape) with \(b.shape)") }
            out.append(max(pa[i], pb[i]))
        }
        useCNHW = r == 4 && ((a.cnhw && !a.isParameter) || (b.cnhw && !b.isParameter))
        outPhys = physical(out); aPhys = physical(a.shape); bPhys = physical(b.shape)
        let x = operand(e, node.inputs[0], key: -10), y = operand(e, node.inputs[1], key: -11)
        let z = e.output(node.outputs[0], shape: out, cnhw: useCNHW)
        let total = outPhys.reduce(1, *)
        if aPhys == bPhys {
            let k = kind
            Parallel.forRanges(total, work: total) { rg in
                switch k {
                case .add: for i in rg { z[i] = x[i] + y[i] }
                case .sub: for i in rg { z[i] = x[i] - y[i] }
                case .mul: for i in rg { z[i] = x[i] * y[i] }
                case .div: for i in rg { z[i] = x[i] / y[i] }
                }
            }
            return
        }
        let sa = strides(aPhys), sb = strides(bPhys)
        let d = outPhys, k = kind
        var o = 0
        for i0 in 0..<d[0] { for i1 in 0..<d[1] { for i2 in 0..<d[2] {
            let baseA = i0 * sa[0] + i1 * sa[1] + i2 * sa[2], baseB = i0 * sb[0] + i1 * sb[1] + i2 * sb[2]
            for i3 in 0..<d[3] {
                let u = x[baseA + i3 * sa[3]], v = y[baseB + i3 * sb[3]]
                switch k {
                case .add: z[o] = u + v
                case .sub: z[o] = u - v
                case .mul: z[o] = u * v
                case .div: z[o] = u / v
                }
                o += 1
            }
        } } }
    }

    /// Element strides of a physical shape, 0 on size-1 (broadcast) axes.
    private func strides(_ s: [Int]) -> [Int] {
        var st = [0, 0, 0, 0], acc = 1
        for i in stride(from: 3, through: 0, by: -1) { st[i] = s[i] == 1 ? 0 : acc; acc *= s[i] }
        return st
    }

    func backward(_ e: Engine) throws {
        let ai = node.inputs[0], bi = node.inputs[1]
        let needA = e.slots[ai].needsGrad, needB = e.slots[bi].needsGrad
        guard needA || needB else { return }
        let g = e.grad(node.outputs[0], cnhw: useCNHW, key: 0)
        let x = operand(e, ai, key: -10), y = operand(e, bi, key: -11)
        let total = outPhys.reduce(1, *)
        let countA = aPhys.reduce(1, *), countB = bPhys.reduce(1, *)
        let ga = da.ensure(countA), gb = db.ensure(countB)
        if needA { ga.initialize(repeating: 0, count: countA) }
        if needB { gb.initialize(repeating: 0, count: countB) }
        let sa = strides(aPhys), sb = strides(bPhys), d = outPhys, k = kind
        if aPhys == bPhys {
            Parallel.forRanges(total, work: total * 2) { rg in
                for i in rg {
                    switch k {
                    case .add: ga[i] = g[i]; gb[i] = g[i]
                    case .sub: ga[i] = g[i]; gb[i] = -g[i]
                    case .mul: ga[i] = g[i] * y[i]; gb[i] = g[i] * x[i]
                    case .div: ga[i] = g[i] / y[i]; gb[i] = -g[i] * x[i] / (y[i] * y[i])
                    }
                }
            }
        } else {
            var o = 0
            for i0 in 0..<d[0] { for i1 in 0..<d[1] { for i2 in 0..<d[2] {
                let baseA = i0 * sa[0] + i1 * sa[1] + i2 * sa[2], baseB = i0 * sb[0] + i1 * sb[1] + i2 * sb[2]
                for i3 in 0..<d[3] {
                    let ia = baseA + i3 * sa[3], ib = baseB + i3 * sb[3], gv = g[o]
                    switch k {
                    case .add: ga[ia] += gv; gb[ib] += gv
                    case .sub: ga[ia] += gv; gb[ib] -= gv
                    case .mul: ga[ia] += gv * y[ib]; gb[ib] += gv * x[ia]
                    case .div: ga[ia] += gv / y[ib]; gb[ib] -= gv * x[ia] / (y[ib] * y[ib])
                    }
                    o += 1
                }
            } } }
        }
        if needA { addBack(e, ai, ga) }
        if needB { addBack(e, bi, gb) }
    }

    /// Adds a gradient computed in this kernel's layout to operand `v`.
    private func addBack(_ e: Engine, _ v: Int, _ src: UnsafePointer<Float>) {
        let s = e.slots[v]
        if !useCNHW || s.cnhw { e.addGrad(v, src, srcCNHW: s.cnhw); return }
        let padded = [Int](repeating: 1, count: 4 - s.shape.count) + s.shape
        if padded[0] == 1 || padded[1] == 1 { e.addGrad(v, src, srcCNHW: s.cnhw); return }
        let t = e.buffer(-12, s.count)
        swapLeadingAxes(src, t, a: padded[1], b: padded[0], inner: padded[2] * padded[3])
        e.addGrad(v, t, srcCNHW: false)
    }
}
