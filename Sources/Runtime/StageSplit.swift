import GraphIR
import TensorCore

/// Splits a batch-separable graph in two at a value that alone carries
/// everything the rest of the graph needs, once the images are small.
///
/// Image by image, the late layers of a CNN (7×7 pixels, wide channels) have
/// GEMMs of only ~49 rows, and OpenBLAS repacks their large weight matrices
/// for every image. Running the early part image by image (its activations
/// stay in cache) and the late part on groups of images (`ExecutionPlan`'s
/// staged mode) gives those GEMMs `group × 49` rows per weight packing.
struct StageSplit {
    /// Nodes up to the cut; inputs are the graph's, the only output is `cut`.
    let prefix: Graph
    /// Nodes after the cut (plus copies of the shape-only nodes it needs); inputs are `cut`
    /// (symbolic batch) and then `shapeInputs`; outputs are the graph's.
    let suffix: Graph
    /// Graph inputs the suffix reads only through `shape` (e.g. the batch size for a
    /// final reshape); they are fed the group's slice of the original input.
    let shapeInputs: [String]
    let cut: String
    /// Shape of `cut` for one image (batch axis first).
    let cutShape: [Int]

    /// The earliest cut whose only live value is a rank-4 activation of at most
    /// `maxPixels` pixels per channel (elements / largest dim), or nil.
    /// `shapes` are the graph inputs' shapes for one image.
    static func find(_ graph: Graph, batch1 shapes: [String: [Int]], maxPixels: Int = 64) -> StageSplit? {
        var g = graph
        g.inputs = graph.inputs.map { GraphInput(name: $0.name, type: ValueType($0.type.dtype, Shape(known: shapes[$0.name]!))) }
        g.valueTypes = [:]
        guard (try? ShapeInference.infer(&g)) != nil else { return nil }
        let nodes = graph.nodes
        let parameters = Set(graph.parameters.keys)
        // Last reader of every run-time value (graph outputs count as read at the end).
        var lastUse: [String: Int] = [:]
        var producedAt: [String: Int] = [:]
        for input in graph.inputs { producedAt[input.name] = -1 }
        for (i, node) in nodes.enumerated() {
            for v in node.inputs where !v.isEmpty && !parameters.contains(v) { lastUse[v] = i }
            for v in node.outputs { producedAt[v] = i }
        }
        for o in graph.outputs { lastUse[o] = nodes.count }
        // Values computed from graph inputs' shapes and parameters only; the suffix can
        // recompute them from the inputs' shapes.
        var shapeOnlyMemo: [String: Bool] = [:]
        func shapeOnly(_ v: String) -> Bool {
            if let known = shapeOnlyMemo[v] { return known }
            var result = false
            if let p = producedAt[v], p >= 0 {
                let node = nodes[p]
                if case .shape = node.op {
                    result = node.inputs.first.map { producedAt[$0] == -1 } ?? false
                } else {
                    result = node.inputs.allSatisfy { $0.isEmpty || parameters.contains($0) || shapeOnly($0) }
                }
            }
            shapeOnlyMemo[v] = result
            return result
        }
        /// The nodes (in graph order) and graph inputs a shape-only value needs.
        func chain(_ values: [String]) -> (nodes: [Int], inputs: [String]) {
            var seen: Set<Int> = [], inputs: [String] = []
            var stack = values
            while let v = stack.popLast() {
                guard let p = producedAt[v] else { continue }
                if p < 0 { if !inputs.contains(v) { inputs.append(v) }; continue }
                if seen.insert(p).inserted { stack += nodes[p].inputs.filter { !$0.isEmpty && !parameters.contains($0) } }
            }
            return (seen.sorted(), inputs)
        }
        // Sweep the cut position, keeping the set of values live across it.
        var live = Set(graph.inputs.map(\.name).filter { lastUse[$0] != nil })
        for i in 0..<nodes.count {
            // Cut before node i: values produced before i and read at or after i.
            let data = live.filter { !shapeOnly($0) }
            if i > 0, data.count == 1, let v = data.first, producedAt[v]! >= 0,
               let type = g.valueTypes[v], type.dtype.isFloatingPoint, let s = type.shape.knownSizes,
               s.count == 4, s[0] == 1, let widest = s.max(), s.reduce(1, *) / widest <= maxPixels {
                let needed = chain(live.filter { $0 != v }.sorted())
                var prefix = graph, suffix = graph
                prefix.nodes = Array(nodes[..<i])
                prefix.outputs = [v]
                prefix.valueTypes = [:]
                suffix.nodes = needed.nodes.map { nodes[$0] } + Array(nodes[i...])
                suffix.inputs = [GraphInput(name: v, type: ValueType(type.dtype, Shape([.symbol("N")] + s.dropFirst().map { Dim.known($0) })))]
                    + graph.inputs.filter { needed.inputs.contains($0.name) }
                suffix.valueTypes = [:]
                return StageSplit(prefix: prefix, suffix: suffix, shapeInputs: suffix.inputs.dropFirst().map(\.name),
                                  cut: v, cutShape: s)
            }
            for v in nodes[i].inputs where !v.isEmpty && lastUse[v] == i { live.remove(v) }
            for v in nodes[i].outputs where (lastUse[v] ?? -1) > i { live.insert(v) }
        }
        return nil
    }
}
