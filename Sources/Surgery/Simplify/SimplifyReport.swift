import GraphIR

/// What `Simplifier.simplify` did: sizes and op histograms before and after,
/// and how many rewrites each pass made (summed over all rounds).
public struct SimplifyReport: Sendable, Equatable, CustomStringConvertible {
    public struct PassCount: Sendable, Equatable {
        public var pass: String
        public var rewrites: Int
    }

    public var nodesBefore: Int
    public var nodesAfter: Int
    /// Op name (`Op.name`, e.g. `conv2d(g=32)`) → node count.
    public var opsBefore: [String: Int]
    public var opsAfter: [String: Int]
    /// Scalars in parameters that count as parameters (weights and statistics).
    public var parametersBefore: Int
    public var parametersAfter: Int
    /// Passes in the order they run, with their total rewrite counts.
    public var passes: [PassCount]
    /// Rounds over all passes until none changed the graph.
    public var rounds: Int

    static func histogram(_ graph: Graph) -> [String: Int] {
        graph.nodes.reduce(into: [:]) { $0[$1.op.name, default: 0] += 1 }
    }

    static func parameterCount(_ graph: Graph) -> Int {
        graph.parameters.values.filter(\.countsAsParameter).reduce(0) { $0 + $1.tensor.elementCount }
    }

    public var description: String {
        func ops(_ h: [String: Int]) -> String {
            h.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        }
        var lines = [
            "Nodes: \(nodesBefore) -> \(nodesAfter)   parameters: \(parametersBefore) -> \(parametersAfter)   rounds: \(rounds)",
            "  before: \(ops(opsBefore))",
            "  after:  \(ops(opsAfter))",
        ]
        for p in passes where p.rewrites > 0 {
            lines.append("  \(p.pass): \(p.rewrites)")
        }
        return lines.joined(separator: "\n")
    }
}
