import GraphIR

/// `transpose(q)` of `transpose(p)(x)` reads `x` directly: the pair is removed
/// when the composed permutation `r[j] = p[q[j]]` is the identity, and merged
/// into one `transpose(r)` otherwise. The first transpose stays for its other
/// readers (if any) and is otherwise left for `RemoveDeadNodes`.
public struct CancelTransposePairs: GraphRule {
    public let name = "cancel-transpose-pairs"

    public init() {}

    public func matches(_ node: Int, in graph: Graph) -> Bool {
        guard let q = graph.permutation(of: node),
              let first = graph.producer(ofInput: 0, of: node),
              let p = graph.permutation(of: first), p.count == q.count else { return false }
        let r = q.map { p[$0] }
        return r != Array(r.indices) || graph.canBypass(node, with: graph.nodes[first].inputs[0])
    }

    public func apply(_ node: Int, in graph: inout Graph) throws {
        let first = graph.producer(ofInput: 0, of: node)!
        let p = graph.permutation(of: first)!, q = graph.permutation(of: node)!
        let x = graph.nodes[first].inputs[0]
        let r = q.map { p[$0] }
        if r == Array(r.indices) {
            graph.bypass(node, with: x)
        } else {
            graph.nodes[node].op = .transpose(perm: r)
            graph.nodes[node].inputs[0] = x
        }
    }
}
