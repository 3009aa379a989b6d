import GraphIR

/// A pass that left the graph invalid: a bug in that pass, never the user's.
public struct SimplifyError: Error, CustomStringConvertible {
    public var pass: String
    public var underlying: GraphError
    public var description: String { "simplification pass '\(pass)' produced an invalid graph: \(underlying)" }
}

/// Runs the simplification passes to a fixed point.
///
/// Order within a round: constant folding, identity removal, the transpose
/// passes, pad folding, affine-chain fusion, batch-norm folding; after every
/// pass that changed something, dead nodes are removed, nodes re-sorted, types
/// re-inferred and the graph verified (`GraphVerifier.verify`), so a broken
/// rewrite is reported with the pass that made it.
public enum Simplifier {
    /// The passes `simplify` runs, in order. `foldTrainable` as in `FoldBatchNormIntoConv`.
    public static func passes(foldTrainable: Bool = true) -> [any GraphPass] {
        [
            FoldConstants(foldTrainable: foldTrainable),
            RemoveIdentities(),
            CancelTransposePairs(),
            MovePadAfterTranspose(),
            SinkTransposes(),
            FoldPadIntoWindow(),
            FuseAffineChain(foldTrainable: foldTrainable),
            FoldBatchNormIntoConv(foldTrainable: foldTrainable),
            FoldBatchNormIntoGemm(foldTrainable: foldTrainable),
        ]
    }

    /// The simplified graph and a report. The input must pass `GraphVerifier.verify`.
    ///
    /// - Parameter foldTrainable: `true` (inference) folds everything it can;
    ///   `false` (before training) leaves every trainable tensor separate.
    public static func simplify(_ graph: Graph, foldTrainable: Bool = true, maxRounds: Int = 50) throws -> (Graph, SimplifyReport) {
        var g = graph
        try checked("input") { try prepare(&g) }
        let passes = passes(foldTrainable: foldTrainable)
        var counts = Array(repeating: 0, count: passes.count)
        var dead = 0
        var rounds = 0
        while rounds < maxRounds {
            rounds += 1
            var changed = false
            for (i, pass) in passes.enumerated() {
                let n = try pass.run(on: &g)
                guard n > 0 else { continue }
                counts[i] += n
                changed = true
                dead += try RemoveDeadNodes().run(on: &g)
                try checked(pass.name) { try prepare(&g) }
            }
            if !changed { break }
        }
        dead += try RemoveDeadNodes().run(on: &g)
        try checked("remove-dead-nodes") { try prepare(&g) }
        let report = SimplifyReport(
            nodesBefore: graph.nodes.count, nodesAfter: g.nodes.count,
            opsBefore: SimplifyReport.histogram(graph), opsAfter: SimplifyReport.histogram(g),
            parametersBefore: SimplifyReport.parameterCount(graph), parametersAfter: SimplifyReport.parameterCount(g),
            passes: zip(passes, counts).map { .init(pass: $0.name, rewrites: $1) } + [.init(pass: "remove-dead-nodes", rewrites: dead)],
            rounds: rounds)
        return (g, report)
    }

    /// Sorts, infers types and verifies.
    static func prepare(_ g: inout Graph) throws(GraphError) {
        try g.sortTopologically()
        try ShapeInference.infer(&g)
        try GraphVerifier.verify(g)
    }

    private static func checked(_ pass: String, _ body: () throws -> Void) throws {
        do { try body() } catch let error as GraphError { throw SimplifyError(pass: pass, underlying: error) }
    }
}
