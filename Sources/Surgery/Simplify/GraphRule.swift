import GraphIR

/// A whole-graph rewrite. `run` returns how many rewrites it made; 0 means the
/// graph is unchanged. Passes may leave nodes unsorted or dead: the caller
/// (`Simplifier`) re-sorts, removes dead nodes and re-infers types between passes.
public protocol GraphPass: Sendable {
    var name: String { get }
    func run(on graph: inout Graph) throws -> Int
}

/// A rewrite that fires on one node at a time.
///
/// `matches` is pure and returns false whenever any precondition fails;
/// `apply` is only called after `matches` returned true for the same graph.
/// `apply` may remove the matched node and insert nodes at its index, but
/// leaves other nodes it orphans for `RemoveDeadNodes`.
public protocol GraphRule: GraphPass {
    func matches(_ node: Int, in graph: Graph) -> Bool
    func apply(_ node: Int, in graph: inout Graph) throws
}

extension GraphRule {
    /// One sweep over the nodes in order, applying the rule wherever it matches.
    public func run(on graph: inout Graph) throws -> Int {
        var rewrites = 0
        var index = 0
        let limit = 4 * graph.nodes.count + 16
        while index < graph.nodes.count, rewrites < limit {
            guard matches(index, in: graph) else { index += 1; continue }
            let countBefore = graph.nodes.count
            try apply(index, in: &graph)
            rewrites += 1
            // When the matched node was removed, the next node now sits at `index`.
            if graph.nodes.count >= countBefore { index += 1 }
        }
        return rewrites
    }
}
