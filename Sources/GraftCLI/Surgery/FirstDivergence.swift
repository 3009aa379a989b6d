import GraphIR
import Runtime
import TensorCore

/// Where two graphs that should compute the same thing first part ways.
///
/// Every float value both graphs produce under the same name (and shape) is
/// made an extra output; both run on the same fixed input (batch 1), and the
/// first shared value in the original's graph order whose largest |Δ| exceeds
/// 1e-4 of its scale (as `OutputCheck`) is reported.
struct FirstDivergence: CustomStringConvertible {
    var node: String
    var op: String
    var value: String
    var maxAbsDiff: Float

    var description: String { "first diverges at node '\(node)' (\(op)), value '\(value)': max |Δ| \(maxAbsDiff)" }

    static func find(_ original: Graph, _ converted: Graph) throws -> FirstDivergence? {
        guard original.inputs.count == converted.inputs.count else { return nil }
        let producedThere = Set(converted.nodes.flatMap(\.outputs))
        var shared: [(node: Node, value: String)] = []
        for node in original.nodes {
            for value in node.outputs where !value.isEmpty && producedThere.contains(value) {
                guard let a = original.valueTypes[value], let b = converted.valueTypes[value],
                      a == b, a.dtype.isFloatingPoint else { continue }
                shared.append((node, value))
            }
        }
        guard !shared.isEmpty else { return nil }
        var a = original, b = converted
        a.outputs = shared.map(\.value)
        b.outputs = shared.map(\.value)
        let inputs = try OutputCheck.fixedInputs(for: original, batch: 1)
        var convertedInputs: [String: Tensor] = [:]
        for (x, y) in zip(original.inputs, converted.inputs) { convertedInputs[y.name] = inputs[x.name] }
        let want = try Planner.compile(a).run(inputs)
        let got = try Planner.compile(b).run(convertedInputs)
        for (node, value) in shared {
            guard let w = want[value], let g = got[value] else { continue }
            guard w.shape == g.shape else { return FirstDivergence(node: node.name, op: node.op.name, value: value, maxAbsDiff: .infinity) }
            var diff: Float = 0, scale: Float = 0
            for (x, y) in zip(w.scalars, g.scalars) {
                diff = max(diff, abs(x - y))
                scale = max(scale, abs(x))
            }
            if !(diff <= 1e-4 * max(scale, 1)) {
                return FirstDivergence(node: node.name, op: node.op.name, value: value, maxAbsDiff: diff)
            }
        }
        return nil
    }
}
