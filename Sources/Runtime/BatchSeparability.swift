import GraphIR

/// Whether every image of a batch flows through the graph on its own, so the
/// plan may run images independently (one per core, each with a batch-1 plan
/// whose activations stay in cache). Tracks the batch axis of every run-time
/// value from the inputs (axis 0) and answers no as soon as an op could mix
/// images: a reduction, softmax, concat, gather or slice along the batch
/// axis, a reshape that changes the batch dimension, or a matmul/gemm whose
/// right-hand side depends on the batch, or arithmetic with a constant that
/// was computed from the batch size (`shape(x)[0]`).
enum BatchSeparability {
    static func check(_ g: LoweredGraph) -> Bool {
        guard let batch = g.inputs.first?.shape.first, batch >= 2,
              g.inputs.allSatisfy({ $0.shape.first == batch }) else { return false }
        var axis: [String: Int] = [:]
        for input in g.inputs { axis[input.name] = 0 }
        for node in g.nodes {
            let runtime = node.inputs.filter { !$0.isEmpty && axis[$0] != nil }
            guard let first = runtime.first, let a = axis[first] else {
                // Only constants in: the output does not depend on the batch.
                continue
            }
            // Constants worked out from the batch size may only shape reshapes, pads and slices.
            if node.inputs.contains(where: { g.batchDependent.contains($0) }) {
                switch node.op {
                case .reshape, .flatten, .squeeze, .unsqueeze, .pad, .slice:
                    if g.batchDependent.contains(node.inputs[0]) { return false }
                default: return false
                }
            }
            let outShape = g.shapes[node.output] ?? []
            func normalized(_ x: Int, _ rank: Int) -> Int { x < 0 ? x + rank : x }
            let inRank = (g.shapes[first] ?? []).count
            var out: Int? = a
            switch node.op {
            case .identity, .dropout, .cast, .relu, .clip, .sigmoid, .hardSigmoid, .hardSwish, .swish:
                out = a
            case .conv2d, .batchNorm, .globalAveragePool, .averagePool, .maxPool:
                guard runtime.count == 1, a == 0 else { return false }
            case .add, .sub, .mul, .div:
                // Align ranks from the right; every run-time operand must carry the batch on the same output axis.
                let rank = outShape.count
                var target: Int? = nil
                for name in runtime {
                    let r = (g.shapes[name] ?? []).count
                    let t = axis[name]! + rank - r
                    if target == nil { target = t } else if target != t { return false }
                }
                // A constant operand must not vary along the batch axis.
                for name in node.inputs where !name.isEmpty && axis[name] == nil {
                    if let s = g.constants[name]?.shape, let t = target, t - (rank - s.count) >= 0,
                       s[t - (rank - s.count)] != 1 { return false }
                }
                out = target
            case .transpose(let perm):
                let p = perm.isEmpty ? Array((0..<inRank).reversed()) : perm
                out = p.firstIndex(of: a)
            case .reshape, .flatten, .squeeze, .unsqueeze:
                guard a == 0, outShape.first == batch else { return false }
                out = 0
            case .matMul, .gemm:
                guard runtime == [node.inputs[0]], a == 0 else { return false }
                if case .gemm(let attrs) = node.op, attrs.transA { return false }
                guard inRank >= 2 else { return false }
                out = 0
            case .reduceMean(let axes, let keepDims):
                let reduced = axes.isEmpty ? Array(0..<inRank) : axes.map { normalized($0, inRank) }
                if reduced.contains(a) { return false }
                out = keepDims ? a : a - reduced.filter { $0 < a }.count
            case .softmax(let s):
                if normalized(s, inRank) == a { return false }
            case .concat(let c):
                if normalized(c, inRank) == a || runtime.contains(where: { axis[$0] != a }) { return false }
            case .gather(let x):
                guard runtime == [node.inputs[0]], normalized(x, inRank) != a else { return false }
                out = a < normalized(x, inRank) ? a : a + outShape.count - inRank
            case .pad:
                guard runtime == [node.inputs[0]], let pads = g.constants[node.inputs[1]]?.int64s,
                      pads.count == 2 * inRank, pads[a] == 0, pads[a + inRank] == 0 else { return false }
            case .slice:
                guard runtime == [node.inputs[0]], let starts = g.constants[node.inputs[1]]?.int64s else { return false }
                var axes = Array(0..<starts.count)
                if node.inputs.count > 3, !node.inputs[3].isEmpty {
                    guard let given = g.constants[node.inputs[3]]?.int64s else { return false }
                    axes = given.map { normalized(Int($0), inRank) }
                }
                if axes.contains(a) { return false }
            case .shape, .constantOfShape:
                continue
            }
            guard let o = out, o >= 0, o < outShape.count, outShape[o] == batch else { return false }
            axis[node.output] = o
        }
        return g.outputs.allSatisfy { axis[$0.value] == 0 }
    }
}
