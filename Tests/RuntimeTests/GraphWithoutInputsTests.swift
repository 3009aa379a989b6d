import Testing
import TensorCore
import GraphIR
@testable import Runtime

/// A graph with no inputs (everything computable from constants) runs instead of
/// reading a first input that is not there (the runtime is built with -Ounchecked).
@Test func aGraphWithoutInputsRuns() throws {
    let g = Graph(name: "constants", outputs: ["y"],
                  nodes: [Node(name: "relu", op: .relu, inputs: ["c"], outputs: ["y"])],
                  parameters: ["c": Parameter(Tensor(shape: [2], scalars: [-1, 3]), role: .constant)])
    let y = try Planner.compile(g).run([:])["y"]
    #expect(y?.scalars == [0, 3])
}
