import Foundation
import GraphIR
import TensorCore

/// Plan-time fusions on the lowered graph. A fused node becomes an
/// `.identity` alias of its input, so names and consumers stay valid. Each
/// fusion needs the intermediate value to have exactly one reader and not be
/// a graph output (otherwise the unfused value would still be observable).
enum PlanFusion {
    static func apply(_ g: inout LoweredGraph) {
        fuseZeroPadsIntoConvolutions(&g)
        foldIntoConvolutions(&g)
        fuseResidualAdds(&g)
        fuseActivations(&g)
    }

    /// The index of the only node reading `value`, if exactly one does and it is not a graph output.
    private static func soleConsumer(of value: String, in g: LoweredGraph, uses: [String: Int]) -> Int? {
        guard uses[value] == 1 else { return nil }
        return g.nodes.firstIndex { $0.inputs.contains(value) }
    }

    /// `pad(constant 0)` of the spatial axes, read only by a convolution (possibly
    /// through transposes, as in open_nsfw's NHWC pads): add to the conv's pads.
    static func fuseZeroPadsIntoConvolutions(_ g: inout LoweredGraph) {
        let uses = g.useCounts()
        for i in g.nodes.indices {
            guard case .pad(let mode, let padValue) = g.nodes[i].op, mode == .constant || g.nodes[i].inputs.count > 2,
                  g.nodes[i].inputs.count >= 2, let padTensor = g.constants[g.nodes[i].inputs[1]] else { continue }
            var fill = padValue
            if g.nodes[i].inputs.count > 2, !g.nodes[i].inputs[2].isEmpty {
                guard let v = g.constants[g.nodes[i].inputs[2]], v.elementCount == 1 else { continue }
                fill = v.scalars[0]
            }
            let pads = padTensor.int64s.map { Int($0) }
            guard mode == .constant, fill == 0, pads.count == 8, pads.allSatisfy({ $0 >= 0 }) else { continue }
            // Follow single readers through transposes to a conv; `axes[j]` is the pad's axis at position j.
            var value = g.nodes[i].output
            var axes = Array(0..<4)
            var chain: [Int] = []
            var conv: Int? = nil
            while let next = soleConsumer(of: value, in: g, uses: uses) {
                if case .transpose(let perm) = g.nodes[next].op, perm.count == 4 {
                    axes = perm.map { axes[$0] }
                    chain.append(next)
                    value = g.nodes[next].output
                    continue
                }
                if case .conv2d = g.nodes[next].op, g.nodes[next].inputs[0] == value { conv = next }
                break
            }
            guard let c = conv, pads[axes[0]] == 0, pads[axes[0] + 4] == 0, pads[axes[1]] == 0, pads[axes[1] + 4] == 0 else { continue }
            g.nodes[c].conv!.pads[0] += pads[axes[2]]
            g.nodes[c].conv!.pads[1] += pads[axes[3]]
            g.nodes[c].conv!.pads[2] += pads[axes[2] + 4]
            g.nodes[c].conv!.pads[3] += pads[axes[3] + 4]
            // The pad becomes an alias; the transposes now carry the unpadded shape.
            let source = g.nodes[i].inputs[0]
            g.nodes[i].op = .identity
            g.nodes[i].inputs = [source]
            var shape = g.shapes[source] ?? g.constants[source]?.shape ?? []
            g.shapes[g.nodes[i].output] = shape
            for t in chain {
                if case .transpose(let perm) = g.nodes[t].op { shape = perm.map { shape[$0] } }
                g.shapes[g.nodes[t].output] = shape
            }
        }
    }

    /// Follows each convolution's output through transposes and per-channel
    /// affine ops with constant operands (`batchNorm`, and `add`/`sub`/`mul`/`div`
    /// whose constant varies only along the conv's channel axis) and folds them
    /// into the conv's weights and bias: `y = conv(x) * s + t`.
    static func foldIntoConvolutions(_ g: inout LoweredGraph) {
        var uses = g.useCounts()
        for ci in g.nodes.indices {
            guard g.nodes[ci].conv != nil else { continue }
            let channels = g.nodes[ci].conv!.weightShape[0]
            var value = g.nodes[ci].output
            var channelAxis = 1
            var scale = [Float](repeating: 1, count: channels), shift = [Float](repeating: 0, count: channels)
            var folded = false
            while let next = soleConsumer(of: value, in: g, uses: uses) {
                let node = g.nodes[next]
                if case .transpose(let perm) = node.op, !perm.isEmpty {
                    channelAxis = perm.firstIndex(of: channelAxis)!
                    value = node.output
                    continue
                }
                guard let affine = channelAffine(node, value: value, channelAxis: channelAxis, channels: channels, g: g) else { break }
                for c in 0..<channels {
                    scale[c] *= affine.scale[c]
                    shift[c] = shift[c] * affine.scale[c] + affine.shift[c]
                }
                g.nodes[next].op = .identity
                g.nodes[next].inputs = [value]
                uses = g.useCounts()
                value = node.output
                folded = true
            }
            guard folded else { continue }
            var p = g.nodes[ci].conv!
            let perChannel = p.weight.count / channels
            for c in 0..<channels {
                for j in 0..<perChannel { p.weight[c * perChannel + j] *= scale[c] }
                p.bias[c] = p.bias[c] * scale[c] + shift[c]
            }
            g.nodes[ci].conv = p
        }
    }

    /// `node` as `x * scale[c] + shift[c]` in terms of its input `value`, when it is one.
    private static func channelAffine(_ node: LoweredNode, value: String, channelAxis: Int, channels: Int,
                                      g: LoweredGraph) -> (scale: [Float], shift: [Float])? {
        let rank = g.shapes[value]?.count ?? 0
        func perChannel(_ name: String) -> [Float]? {
            guard let t = g.constants[name], t.dtype.isFloatingPoint, t.rank <= rank else { return nil }
            let padded = Array(repeating: 1, count: rank - t.rank) + t.shape
            for (axis, d) in padded.enumerated() where d != 1 {
                guard axis == channelAxis, d == channels else { return nil }
            }
            let s = t.scalars
            return s.count == 1 ? Array(repeating: s[0], count: channels) : s
        }
        let ones = [Float](repeating: 1, count: channels), zeros = [Float](repeating: 0, count: channels)
        switch node.op {
        case .batchNorm(let epsilon):
            guard channelAxis == 1, node.inputs.count == 5,
                  let gamma = perChannel(node.inputs[1]), let beta = perChannel(node.inputs[2]),
                  let mean = perChannel(node.inputs[3]), let variance = perChannel(node.inputs[4]) else { return nil }
            let s = (0..<channels).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
            return (s, (0..<channels).map { beta[$0] - mean[$0] * s[$0] })
        case .add, .sub, .mul, .div:
            let xFirst = node.inputs[0] == value
            let other = xFirst ? node.inputs[1] : node.inputs[0]
            guard other != value, let c = perChannel(other) else { return nil }
            switch (node.op, xFirst) {
            case (.add, _): return (ones, c)
            case (.mul, _): return (c, zeros)
            case (.sub, true): return (ones, c.map { -$0 })
            case (.sub, false): return (ones.map { -$0 }, c)
            case (.div, true): return (c.map { 1 / $0 }, zeros)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// `add(a, b)` of two run-time values of one shape where `a` comes only
    /// from a convolution (through transposes and aliases) that runs after
    /// `b` is computed: the conv adds `b` in its epilogue.
    static func fuseResidualAdds(_ g: inout LoweredGraph) {
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { producer[n.output] = i }
        for i in g.nodes.indices {
            guard case .add = g.nodes[i].op, g.nodes[i].activation == .none, g.nodes[i].inputs.count == 2 else { continue }
            let uses = g.useCounts()
            let inputs = g.nodes[i].inputs
            guard inputs[0] != inputs[1], g.shapes[inputs[0]] != nil, g.shapes[inputs[0]] == g.shapes[inputs[1]] else { continue }
            var best: (conv: Int, operand: Int, axes: [Int])? = nil
            for side in 0..<2 {
                // Walk back from this operand to a conv, recording the axis mapping.
                var value = inputs[side]
                var perms: [[Int]] = []
                while let p = producer[value], uses[value] == 1, g.nodes[p].isAlias || g.nodes[p].isTranspose {
                    if case .transpose(let perm) = g.nodes[p].op { perms.append(perm) }
                    value = g.nodes[p].inputs[0]
                }
                guard uses[value] == 1, let c = producer[value], g.nodes[c].conv != nil, g.nodes[c].residual == nil,
                      g.nodes[c].activation == .none else { continue }
                let other = inputs[1 - side]
                // The other operand must exist before the conv runs.
                if let q = producer[other], q >= c { continue }
                if perms.contains(where: \.isEmpty) { continue }
                var axes = Array(0..<4)
                for perm in perms.reversed() { axes = perm.map { axes[$0] } }
                if best == nil || c > best!.conv { best = (c, 1 - side, axes) }
            }
            guard let best else { continue }
            let residualPerm = (0..<4).map { best.axes.firstIndex(of: $0)! }
            g.nodes[best.conv].residual = (inputs[best.operand], residualPerm)
            g.nodes[i].op = .identity
            g.nodes[i].inputs = [inputs[1 - best.operand]]
        }
    }

    /// An activation whose input comes only from a conv, gemm or binary op
    /// (possibly through transposes) becomes that node's epilogue.
    static func fuseActivations(_ g: inout LoweredGraph) {
        var uses = g.useCounts()
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { producer[n.output] = i }
        for i in g.nodes.indices {
            guard let activation = Activation(g.nodes[i].op) else { continue }
            // Walk back through transposes (elementwise ops commute with them) and fused aliases.
            var source = g.nodes[i].inputs[0]
            while let p = producer[source], uses[source] == 1, g.nodes[p].isAlias || g.nodes[p].isTranspose {
                source = g.nodes[p].inputs[0]
            }
            guard uses[source] == 1, let p = producer[source], g.nodes[p].activation == .none else { continue }
            switch g.nodes[p].op {
            case .conv2d, .gemm, .add, .sub, .mul, .div: break
            default: continue
            }
            g.nodes[p].activation = activation
            g.nodes[i].op = .identity
            uses = g.useCounts()
        }
    }
}
