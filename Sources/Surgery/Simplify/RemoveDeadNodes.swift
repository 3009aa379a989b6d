import GraphIR

/// Removes the nodes none of whose outputs reach a graph output, then the
/// parameters no remaining node (or graph output) reads. Graph inputs stay,
/// used or not: they are the model's interface. Returns nodes plus parameters removed.
public struct RemoveDeadNodes: GraphPass {
    public let name = "remove-dead-nodes"

    public init() {}

    public func run(on graph: inout Graph) throws -> Int {
        var live = Set(graph.outputs)
        var keep = Array(repeating: false, count: graph.nodes.count)
        for index in graph.nodes.indices.reversed() where graph.nodes[index].outputs.contains(where: live.contains) {
            keep[index] = true
            live.formUnion(graph.nodes[index].inputs.filter { !$0.isEmpty })
        }
        let nodesBefore = graph.nodes.count
        graph.nodes = graph.nodes.indices.filter { keep[$0] }.map { graph.nodes[$0] }
        let deadParameters = graph.parameters.keys.filter { !live.contains($0) }
        for name in deadParameters { graph.parameters[name] = nil }
        let produced = Set(graph.nodes.flatMap(\.outputs)).union(graph.parameters.keys).union(graph.inputs.map(\.name))
        graph.valueTypes = graph.valueTypes.filter { produced.contains($0.key) }
        return nodesBefore - graph.nodes.count + deadParameters.count
    }
}
