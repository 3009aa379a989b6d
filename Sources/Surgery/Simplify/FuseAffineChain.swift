import GraphIR
import TensorCore

/// Fuses a chain of per-channel affine ops on an NCHW (or `[N, C, …]`) value —
/// `add`, `sub`, `mul`, `div` by a constant that varies at most along axis 1,
/// and constant batch norms — into one `batchNorm(epsilon: 0)` with
/// `scale = a`, `bias = b`, `mean = 0`, `variance = 1`, where the chain computes
/// `y = x * a + b`. No new op is needed, and `FoldBatchNormIntoConv` then folds it
/// into a preceding convolution (open_nsfw's `Add(bias) → Sub(mean) → Mul(s) → Add(beta)`).
///
/// Steps compose as `(a, b)` then `(s, t)` = `(a·s, b·s + t)`: `x + c` is `(1, c)`,
/// `x - c` is `(1, -c)`, `c - x` is `(-1, c)`, `x · c` is `(c, 0)`, `x / c` is
/// `(1/c, 0)` (only for non-zero `c`). Each intermediate output must be read
/// only by the next step and not be a graph output. The rule fires at the first
/// step of a chain of two or more, or of a single non-batch-norm step right after
/// a convolution or gemm it alone reads (so the result can fold further).
/// With `foldTrainable == false` no constant in the chain may be trainable
/// (see `FoldBatchNormIntoConv`).
public struct FuseAffineChain: GraphRule {
    public let name = "fuse-affine-chain"
    public var foldTrainable: Bool

    public init(foldTrainable: Bool = true) {
        self.foldTrainable = foldTrainable
    }

    public func matches(_ node: Int, in g: Graph) -> Bool {
        guard let first = step(node, in: g) else { return false }
        if let p = g.producer(of: first.data), step(p, in: g) != nil, g.isOnlyUsed(first.data, by: node) {
            return false  // not the start of the chain
        }
        let chain = self.chain(from: node, in: g)
        if chain.count >= 2 { return true }
        if case .batchNorm = g.nodes[node].op { return false }
        guard let p = g.producer(of: first.data), g.isOnlyUsed(first.data, by: node) else { return false }
        switch g.nodes[p].op {
        case .conv2d, .gemm: return true
        default: return false
        }
    }

    public func apply(_ node: Int, in g: inout Graph) throws {
        let chain = self.chain(from: node, in: g)
        let data = step(node, in: g)!.data
        var total: ChannelAffine?
        var trainable = false
        for index in chain {
            let s = step(index, in: g)!
            trainable = trainable || s.trainable
            guard let t = total else { total = s.affine; continue }
            total = ChannelAffine(scale: zip(t.scale, s.affine.scale).map { $0 * $1 },
                                  shift: zip(t.shift, s.affine.scale).map { $0 * $1 }.enumerated().map { $0.element + s.affine.shift[$0.offset] })
        }
        let affine = total!
        let channels = affine.scale.count
        let last = g.nodes[chain.last!]
        let base = last.name
        let scale = g.addParameter(Tensor(shape: [channels], scalars: affine.scale.map { Float($0) }), named: base + ".scale", role: .weight, trainable: trainable)
        let bias = g.addParameter(Tensor(shape: [channels], scalars: affine.shift.map { Float($0) }), named: base + ".bias", role: .weight, trainable: trainable)
        let mean = g.addParameter(Tensor(zeros: [channels]), named: base + ".mean", role: .statistic, trainable: false)
        let variance = g.addParameter(Tensor(shape: [channels], scalars: Array(repeating: 1, count: channels)), named: base + ".variance", role: .statistic, trainable: false)
        let fused = Node(name: g.uniqueName(base + "_affine"), op: .batchNorm(epsilon: 0),
                         inputs: [data, scale, bias, mean, variance], outputs: last.outputs, layer: last.layer)
        for name in chain.dropLast().flatMap({ g.nodes[$0].outputs }) { g.valueTypes[name] = nil }
        g.nodes[node] = fused
        for index in chain.dropFirst().sorted(by: >) { g.nodes.remove(at: index) }
    }

    /// The steps from `node` on while each output is read only by the next step.
    private func chain(from node: Int, in g: Graph) -> [Int] {
        var chain = [node]
        while let next = g.consumers(of: g.nodes[chain.last!].outputs[0]).first,
              g.isOnlyUsed(g.nodes[chain.last!].outputs[0], by: next),
              let s = step(next, in: g), s.data == g.nodes[chain.last!].outputs[0] {
            chain.append(next)
        }
        return chain
    }

    /// The data input and per-channel effect of one affine step.
    private func step(_ node: Int, in g: Graph) -> (data: String, affine: ChannelAffine, trainable: Bool)? {
        let n = g.nodes[node]
        guard n.outputs.count == 1, let data = n.inputs.first, !data.isEmpty else { return nil }
        switch n.op {
        case .batchNorm:
            guard g.parameters[data] == nil, let type = g.type(of: data), type.shape.rank >= 2,
                  let channels = type.shape[1].value,
                  let affine = ChannelAffine(batchNorm: n, in: g, channels: channels) else { return nil }
            let trainable = n.inputs.dropFirst().contains { g.isTrainable($0) }
            if trainable && !foldTrainable { return nil }
            return (data, affine, trainable)
        case .add, .sub, .mul, .div:
            guard n.inputs.count == 2 else { return nil }
            let constantFirst = g.parameters[n.inputs[0]] != nil
            let (x, c) = constantFirst ? (n.inputs[1], n.inputs[0]) : (n.inputs[0], n.inputs[1])
            guard g.parameters[x] == nil, let xType = g.type(of: x), xType.dtype == .float32,
                  let vector = perChannel(c, of: xType.shape, in: g) else { return nil }
            if g.isTrainable(c) && !foldTrainable { return nil }
            let ones = Array(repeating: 1.0, count: vector.count), zeros = Array(repeating: 0.0, count: vector.count)
            let affine: ChannelAffine
            switch n.op {
            case .add: affine = ChannelAffine(scale: ones, shift: vector)
            case .sub: affine = constantFirst ? ChannelAffine(scale: ones.map { -$0 }, shift: vector)
                                              : ChannelAffine(scale: ones, shift: vector.map { -$0 })
            case .mul: affine = ChannelAffine(scale: vector, shift: zeros)
            default:
                guard !constantFirst, vector.allSatisfy({ $0 != 0 }) else { return nil }
                affine = ChannelAffine(scale: vector.map { 1 / $0 }, shift: zeros)
            }
            return (x, affine, g.isTrainable(c))
        default:
            return nil
        }
    }

    /// The constant `c` as one value per channel of a value of `shape`: after
    /// left-padding to the same rank, every axis but 1 has size 1, and axis 1
    /// has size 1 or the channel count.
    private func perChannel(_ c: String, of shape: Shape, in g: Graph) -> [Double]? {
        guard shape.rank >= 2, let channels = shape[1].value, let t = g.floatConstant(c), t.rank <= shape.rank else { return nil }
        let padded = Array(repeating: 1, count: shape.rank - t.rank) + t.shape
        for (axis, size) in padded.enumerated() where axis != 1 && size != 1 { return nil }
        let values = t.scalars.map(Double.init)
        if padded[1] == channels { return values }
        // A scalar spread over a channel count the file declares: bounded like a folded constant.
        if padded[1] == 1, channels <= FoldLimit.floor || channels <= FoldLimit.maxElements(for: g) {
            return Array(repeating: values[0], count: channels)
        }
        return nil
    }
}
