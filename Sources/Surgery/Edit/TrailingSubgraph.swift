import GraphIR
import TensorCore

/// The part of a graph after one activation: what runs forward and backward when
/// fine-tuning the last blocks over cached boundary activations.
public enum TrailingSubgraph {
    /// The graph whose only input is the value `boundary` (with its type, batch dimension
    /// symbolic) and whose outputs are `graph.outputs`, keeping only nodes that lie after the
    /// boundary (and constant-only nodes they read). Unused parameters are dropped.
    ///
    /// `boundary` is a value name; a node or layer name (see `NodeLookup`) stands for its output.
    /// Throws `.crossesBoundary` when a kept node reads a value computed before the boundary
    /// other than the boundary itself (a residual skip across it), `.boundaryNotAValue` for a
    /// parameter and `.unknownName` for a name the graph does not have.
    public static func extract(_ original: Graph, from boundary: String) throws -> Graph {
        var graph = original
        if graph.valueTypes.isEmpty { try ShapeInference.infer(&graph) }
        let value: String
        if graph.inputs.contains(where: { $0.name == boundary }) || graph.producer(of: boundary) != nil {
            value = boundary
        } else if graph.parameters[boundary] != nil {
            throw SurgeryError.boundaryNotAValue(boundary)
        } else {
            value = try NodeLookup.value(named: boundary, in: graph)
        }
        if graph.type(of: value) == nil { try ShapeInference.infer(&graph) }
        guard let boundaryType = graph.type(of: value) else {
            throw SurgeryError.unknownName(value, suggestions: [])
        }

        // Values downstream of the boundary, and values computable from parameters alone.
        var downstream: Set<String> = [value]
        var constant = Set(graph.parameters.keys)
        var isDownstream = [Bool](repeating: false, count: graph.nodes.count)
        var isConstant = [Bool](repeating: false, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() {
            let inputs = node.inputs.filter { !$0.isEmpty }
            if inputs.contains(where: downstream.contains) {
                isDownstream[i] = true
                downstream.formUnion(node.outputs.filter { !$0.isEmpty })
            } else if inputs.allSatisfy(constant.contains) {
                isConstant[i] = true
                constant.formUnion(node.outputs.filter { !$0.isEmpty })
            }
        }
        // Nodes the outputs need, walking back and stopping at the boundary.
        var producer: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for o in node.outputs where !o.isEmpty { producer[o] = i } }
        var needed = Set<Int>()
        var stack = graph.outputs
        var seen = Set<String>()
        while let v = stack.popLast() {
            guard v != value, seen.insert(v).inserted else { continue }
            guard let p = producer[v] else {
                if graph.inputs.contains(where: { $0.name == v }) {
                    let reader = graph.nodes.indices.first { i in needed.contains(i) && graph.nodes[i].inputs.contains(v) }
                    throw SurgeryError.crossesBoundary(node: reader.map { graph.nodes[$0].name } ?? "output", value: v, boundary: value)
                }
                continue
            }
            guard isDownstream[p] || isConstant[p] else {
                let reader = graph.nodes.indices.first { i in needed.contains(i) && graph.nodes[i].inputs.contains(v) }
                throw SurgeryError.crossesBoundary(node: reader.map { graph.nodes[$0].name } ?? "output", value: v, boundary: value)
            }
            needed.insert(p)
            stack += graph.nodes[p].inputs.filter { !$0.isEmpty }
        }
        for o in graph.outputs where o != value && producer[o] == nil && graph.parameters[o] == nil {
            throw SurgeryError.crossesBoundary(node: "output", value: o, boundary: value)
        }

        var result = graph
        var type = boundaryType
        if type.shape.rank > 0, type.shape[0].value != nil {
            let symbol = graph.inputs.first.flatMap { $0.type.shape.rank > 0 ? $0.type.shape[0] : nil }
            if case .symbol = symbol { type.shape[0] = symbol! } else { type.shape[0] = .symbol("N") }
        }
        result.inputs = [GraphInput(name: value, type: type)]
        result.nodes = graph.nodes.indices.filter(needed.contains).map { graph.nodes[$0] }
        let used = Set(result.nodes.flatMap(\.inputs))
        result.parameters = graph.parameters.filter { used.contains($0.key) || graph.outputs.contains($0.key) }
        let kept = used.union(result.nodes.flatMap(\.outputs)).union([value])
        result.valueTypes = graph.valueTypes.filter { kept.contains($0.key) }
        result.valueTypes[value] = type
        try result.sortTopologically()
        try ShapeInference.infer(&result)
        try GraphVerifier.verify(result)
        return result
    }
}
