import GraphIR
import Surgery
import Testing
import TensorCore

@Test func removesBranchesThatReachNoOutputAndTheirParameters() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "live", op: .relu, inputs: ["x"], outputs: ["y"]),
                Node(name: "dead", op: .add, inputs: ["x", "b"], outputs: ["z"]),
                Node(name: "deader", op: .sigmoid, inputs: ["z"], outputs: ["zz"])],
        parameters: ["b": weight([2], [1, 2]), "unused": weight([3], [1, 2, 3])])
    #expect(try RemoveDeadNodes().run(on: &g) == 4)  // two nodes, two parameters
    #expect(g.nodes.map(\.name) == ["live"])
    #expect(g.parameters.isEmpty)
    try GraphVerifier.verify(g)
}

@Test func keepsEverythingInALiveGraph() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "add", op: .add, inputs: ["x", "b"], outputs: ["y"])],
        parameters: ["b": weight([2], [1, 2])])
    #expect(try RemoveDeadNodes().run(on: &g) == 0)
    #expect(g.parameters.count == 1)
}
