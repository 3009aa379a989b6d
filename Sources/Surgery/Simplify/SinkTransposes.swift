import GraphIR
import TensorCore

/// Moves a transpose below the elementwise op that reads it, so that it can
/// meet the transpose coming back and cancel (`CancelTransposePairs`):
///
/// * unary: `f(transpose(p)(x))` → `transpose(p)(f(x))` for relu, clip,
///   sigmoid, hard sigmoid, hard swish and swish;
/// * binary with a constant: `x ∘ c` with `∘` in add/sub/mul/div (either side),
///   `c` a parameter of rank ≤ the transpose's, becomes `transpose(p)(x ∘ c')`
///   with `c' = transpose(p⁻¹)(c padded to full rank)` (a new parameter);
/// * binary of two transposes with the same `p`: `transpose(p)(a ∘ b)`;
/// * `reduceMean(axes)` without kept dimensions: reduces `x` over `p[axes]`;
///   a transpose remains only if the kept axes change order.
///
/// Preconditions: each transpose read is read only by this node and is not a
/// graph output (so nothing is duplicated). The moved node keeps its output
/// name on the new transpose, so graph outputs are unaffected.
public struct SinkTransposes: GraphRule {
    public let name = "sink-transposes"

    public init() {}

    public func matches(_ node: Int, in graph: Graph) -> Bool {
        let n = graph.nodes[node]
        guard n.outputs.count == 1 else { return false }
        switch n.op {
        case .relu, .clip, .sigmoid, .hardSigmoid, .hardSwish, .swish:
            return soleTranspose(input: 0, of: node, in: graph) != nil
        case .add, .sub, .mul, .div:
            return binaryPlan(node, in: graph) != nil
        case .reduceMean(let axes, let keepDims):
            guard !keepDims, !axes.isEmpty, let t = soleTranspose(input: 0, of: node, in: graph) else { return false }
            return axes.allSatisfy { ($0 < 0 ? $0 + t.perm.count : $0) < t.perm.count && $0 >= -t.perm.count }
        default:
            return false
        }
    }

    public func apply(_ node: Int, in graph: inout Graph) throws {
        let n = graph.nodes[node]
        let out = n.outputs[0]
        let moved = graph.uniqueName(out + "_untransposed")
        var inner = n
        inner.outputs = [moved]
        var perm: [Int]?
        switch n.op {
        case .add, .sub, .mul, .div:
            let plan = binaryPlan(node, in: &graph)!
            inner.inputs = plan.inputs
            perm = plan.perm
        case .reduceMean(let axes, _):
            let t = soleTranspose(input: 0, of: node, in: graph)!
            let rank = t.perm.count
            let reduced = Set(axes.map { t.perm[$0 < 0 ? $0 + rank : $0] })
            inner.op = .reduceMean(axes: reduced.sorted(), keepDims: false)
            inner.inputs = [t.source]
            // Output axis k of the original reads x's axis `kept[k]`; after reducing x directly
            // its axes come in increasing order.
            let kept = t.perm.filter { !reduced.contains($0) }
            let order = kept.sorted()
            let residual = kept.map { order.firstIndex(of: $0)! }
            perm = residual == Array(residual.indices) ? nil : residual
        default:
            let t = soleTranspose(input: 0, of: node, in: graph)!
            inner.inputs[0] = t.source
            perm = t.perm
        }
        guard let perm else {
            inner.outputs = [out]
            graph.nodes[node] = inner
            return
        }
        let transpose = Node(name: graph.uniqueName(n.name + "/transpose"), op: .transpose(perm: perm),
                             inputs: [moved], outputs: [out], layer: n.layer)
        graph.nodes.replaceSubrange(node...node, with: [inner, transpose])
        graph.valueTypes[out] = nil
    }

    /// The transpose producing input `i` of `node`, when only `node` reads it.
    private func soleTranspose(input i: Int, of node: Int, in graph: Graph) -> (perm: [Int], source: String)? {
        guard let t = graph.producer(ofInput: i, of: node), let perm = graph.permutation(of: t),
              graph.isOnlyUsed(graph.nodes[node].inputs[i], by: node) else { return nil }
        return (perm, graph.nodes[t].inputs[0])
    }

    /// The new inputs and permutation for a binary node, or `nil` when it cannot move.
    private func binaryPlan(_ node: Int, in graph: Graph) -> (inputs: [String], perm: [Int], constant: (position: Int, tensor: Tensor)?)? {
        let inputs = graph.nodes[node].inputs
        guard inputs.count == 2 else { return nil }
        let a = soleTranspose(input: 0, of: node, in: graph), b = soleTranspose(input: 1, of: node, in: graph)
        if let a, let b {
            guard a.perm == b.perm || inputs[0] == inputs[1] else { return nil }
            return ([a.source, b.source], a.perm, nil)
        }
        if inputs[0] == inputs[1] { return nil }
        guard let (position, t) = a.map({ (1, $0) }) ?? b.map({ (0, $0) }),
              let c = graph.constant(inputs[position]), c.rank <= t.perm.count else { return nil }
        let padded = ConstantValue(c).reshaped(Array(repeating: 1, count: t.perm.count - c.rank) + c.shape)
        guard let moved = ConstantEvaluator.transpose(padded, inversePermutation(t.perm))?.tensor else { return nil }
        var newInputs = inputs
        newInputs[1 - position] = t.source
        return (newInputs, t.perm, (position, moved))
    }

    /// As `binaryPlan`, adding the moved constant as a parameter.
    private func binaryPlan(_ node: Int, in graph: inout Graph) -> (inputs: [String], perm: [Int])? {
        guard var plan = binaryPlan(node, in: graph) else { return nil }
        if let (position, tensor) = plan.constant {
            let old = graph.nodes[node].inputs[position]
            let p = graph.parameters[old]!
            plan.inputs[position] = graph.addParameter(tensor, named: old + "_t", role: p.role, trainable: p.trainable)
        }
        return (plan.inputs, plan.perm)
    }
}
