import GraphIR
import Surgery

/// Simplification as a step of another command (bench, predict): no report, no check.
enum SimplifyStep {
    static func run(_ graph: Graph) throws -> Graph {
        try Simplifier.simplify(graph).0
    }
}
