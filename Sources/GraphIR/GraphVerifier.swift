/// Structural checks: every input defined before use, every value defined
/// once, outputs defined, and shapes consistent (through shape inference).
public enum GraphVerifier {
    /// Throws the first problem found. Assumes `graph.nodes` is in topological
    /// order (importers call `Graph.sortTopologically()` first).
    public static func verify(_ graph: Graph) throws(GraphError) {
        var defined = Set(graph.inputs.map(\.name)).union(graph.parameters.keys)
        for node in graph.nodes {
            for input in node.inputs where !input.isEmpty && !defined.contains(input) {
                throw .undefinedValue(node: node.name, value: input)
            }
            for output in node.outputs where !output.isEmpty {
                guard defined.insert(output).inserted else { throw .valueDefinedTwice(value: output, node: node.name) }
            }
        }
        for output in graph.outputs where !defined.contains(output) {
            throw .undefinedOutput(value: output)
        }
        var copy = graph
        try ShapeInference.infer(&copy)
    }
}

extension Graph {
    /// Reorders `nodes` so every producer comes before its consumers (stable:
    /// nodes already in order keep it). Throws `.cycle` naming the nodes left.
    public mutating func sortTopologically() throws(GraphError) {
        var available = Set(inputs.map(\.name)).union(parameters.keys)
        var remaining = nodes
        var sorted: [Node] = []
        sorted.reserveCapacity(nodes.count)
        while !remaining.isEmpty {
            var progressed = false
            var next: [Node] = []
            for node in remaining {
                if node.inputs.allSatisfy({ $0.isEmpty || available.contains($0) }) {
                    sorted.append(node)
                    available.formUnion(node.outputs)
                    progressed = true
                } else {
                    next.append(node)
                }
            }
            guard progressed else {
                let producedLater = Set(next.flatMap(\.outputs))
                let undefined = next.flatMap(\.inputs).first { !$0.isEmpty && !available.contains($0) && !producedLater.contains($0) }
                if let value = undefined, let node = next.first(where: { $0.inputs.contains(value) }) {
                    throw .undefinedValue(node: node.name, value: value)
                }
                throw .cycle(nodes: next.map(\.name))
            }
            remaining = next
        }
        nodes = sorted
    }
}
