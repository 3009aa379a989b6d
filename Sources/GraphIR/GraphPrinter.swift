/// A text form of the graph, one line per node, for goldens and `--ir` dumps:
///
///     %conv1_out = conv2d(%input, %conv1.w, %conv1.b) : float32[N, 32, 112, 112]  # conv1
public enum GraphPrinter {
    public static func print(_ graph: Graph) -> String {
        var lines: [String] = ["graph \(graph.name)"]
        for input in graph.inputs {
            lines.append("  input %\(input.name) : \(input.type)")
        }
        for name in graph.parameters.keys.sorted() {
            let p = graph.parameters[name]!
            let flag = p.role == .weight ? (p.trainable ? "trainable" : "frozen") : p.role.rawValue
            lines.append("  param %\(name) : \(p.tensor.dtype)\(p.tensor.shape) \(flag)")
        }
        for node in graph.nodes {
            let args = node.inputs.map { $0.isEmpty ? "_" : "%" + $0 }.joined(separator: ", ")
            let outs = node.outputs.map { "%" + $0 }.joined(separator: ", ")
            let types = node.outputs.map { graph.valueTypes[$0]?.description ?? "?" }.joined(separator: ", ")
            lines.append("  \(outs) = \(node.op.name)(\(args)) : \(types)  # \(node.name)")
        }
        lines.append("  return " + graph.outputs.map { "%" + $0 }.joined(separator: ", "))
        return lines.joined(separator: "\n") + "\n"
    }
}
