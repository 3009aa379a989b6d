import GraphIR

/// Removes nodes that pass their input through unchanged at inference:
/// `identity`, `dropout`, and a `cast` to the dtype the value already has
/// (open_nsfw has 309 float32 → float32 casts). Readers of the node's output
/// read its input instead. When the output is a graph output the producer of
/// the input takes the output's name; when that is impossible (the input is a
/// graph input, a parameter, or another graph output) the node stays.
public struct RemoveIdentities: GraphRule {
    public let name = "remove-identities"

    public init() {}

    public func matches(_ node: Int, in graph: Graph) -> Bool {
        let n = graph.nodes[node]
        guard let input = n.inputs.first, !input.isEmpty, graph.canBypass(node, with: input) else { return false }
        switch n.op {
        case .identity, .dropout:
            return true
        case .cast(let to):
            return graph.type(of: input)?.dtype == to
        default:
            return false
        }
    }

    public func apply(_ node: Int, in graph: inout Graph) throws {
        graph.bypass(node, with: graph.nodes[node].inputs[0])
    }
}
