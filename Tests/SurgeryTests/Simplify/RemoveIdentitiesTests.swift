import GraphIR
import Surgery
import Testing
import TensorCore

@Test func removesIdentityDropoutAndSameTypeCast() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "relu", op: .relu, inputs: ["x"], outputs: ["r"]),
                Node(name: "id", op: .identity, inputs: ["r"], outputs: ["i"]),
                Node(name: "drop", op: .dropout(ratio: 0.5), inputs: ["i"], outputs: ["d"]),
                Node(name: "cast", op: .cast(to: .float32), inputs: ["d"], outputs: ["c"]),
                Node(name: "sig", op: .sigmoid, inputs: ["c"], outputs: ["y"])],
        parameters: [:])
    let before = g
    #expect(try runPass(RemoveIdentities(), on: &g) == 3)
    #expect(ops(g) == ["relu", "sigmoid"])
    #expect(g.nodes[1].inputs == ["r"])
    #expect(try relativeDifference(before, g) == 0)
}

@Test func keepsACastThatChangesTheType() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "cast", op: .cast(to: .int64), inputs: ["x"], outputs: ["y"])],
        parameters: [:])
    #expect(try runPass(RemoveIdentities(), on: &g) == 0)
}

@Test func identityThatIsAGraphOutputRenamesItsProducer() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "relu", op: .relu, inputs: ["x"], outputs: ["r"]),
                Node(name: "id", op: .identity, inputs: ["r"], outputs: ["y"])],
        parameters: [:])
    #expect(try runPass(RemoveIdentities(), on: &g) == 1)
    #expect(g.nodes.map(\.outputs) == [["y"]])
    #expect(g.outputs == ["y"])
}

@Test func identityOfAGraphInputThatIsAGraphOutputStays() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "id", op: .identity, inputs: ["x"], outputs: ["y"])],
        parameters: [:])
    #expect(try runPass(RemoveIdentities(), on: &g) == 0)
    #expect(ops(g) == ["identity"])
}

@Test func identityOfAParameterIsReadDirectly() throws {
    // open_nsfw's Identity_40…43 pass BatchNorm shifts through an Identity.
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "id", op: .identity, inputs: ["b"], outputs: ["b2"]),
                Node(name: "add", op: .add, inputs: ["x", "b2"], outputs: ["y"])],
        parameters: ["b": weight([2], [1, 2])])
    #expect(try runPass(RemoveIdentities(), on: &g) == 1)
    #expect(g.nodes[0].inputs == ["x", "b"])
}
