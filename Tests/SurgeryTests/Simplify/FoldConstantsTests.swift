import GraphIR
import Surgery
import Testing
import TensorCore

/// x[N, 2, 3, 3] → pad whose pads come from Shape(x): `[0, 0, 0, 0, 0, 0, H - 2, W - 2]`
/// built as Concat(zeros6, Unsqueeze(Sub(Gather(Shape(x), 2), 2)), Unsqueeze(Sub(Gather(Shape(x), 3), 2))).
private func padFromShape() throws -> Graph {
    try makeGraph(
        inputs: [("x", Shape([batchDim, 2, 3, 3]))], outputs: ["y"],
        nodes: [
            Node(name: "shape", op: .shape(start: 0, end: nil), inputs: ["x"], outputs: ["s"]),
            Node(name: "h", op: .gather(axis: 0), inputs: ["s", "two"], outputs: ["h"]),
            Node(name: "w", op: .gather(axis: 0), inputs: ["s", "three"], outputs: ["w"]),
            Node(name: "h2", op: .sub, inputs: ["h", "two"], outputs: ["h2"]),
            Node(name: "w2", op: .sub, inputs: ["w", "two"], outputs: ["w2"]),
            Node(name: "uh", op: .unsqueeze(axes: [0]), inputs: ["h2"], outputs: ["uh"]),
            Node(name: "uw", op: .unsqueeze(axes: [0]), inputs: ["w2"], outputs: ["uw"]),
            Node(name: "pads", op: .concat(axis: 0), inputs: ["zeros", "uh", "uw"], outputs: ["pads"]),
            Node(name: "pad", op: .pad(mode: .constant, value: 0), inputs: ["x", "pads"], outputs: ["y"]),
        ],
        parameters: [
            "two": Parameter(Tensor(shape: [], int64s: [2]), role: .constant),
            "three": Parameter(Tensor(shape: [], int64s: [3]), role: .constant),
            "zeros": Parameter(Tensor(shape: [6], int64s: [0, 0, 0, 0, 0, 0]), role: .constant),
        ])
}

@Test func shapeSubgraphFoldsToConstantPads() throws {
    var g = try padFromShape()
    let before = g
    let folded = try runPass(FoldConstants(), on: &g)
    #expect(folded == 7)  // gather ×2, sub ×2, unsqueeze ×2, concat; shape(x) itself has a symbolic batch
    #expect(ops(g) == ["pad"])
    // H = W = 3, so H - 2 = W - 2 = 1.
    #expect(g.constant(g.nodes[0].inputs[1])!.int64s == [0, 0, 0, 0, 0, 0, 1, 1])
    #expect(g.parameters[g.nodes[0].inputs[1]]!.role == .constant)
    #expect(try relativeDifference(before, g) == 0)
}

@Test func transposeOfAWeightFoldsAndKeepsItsRole() throws {
    // y = x @ transpose(W), W = [[1, 2, 3], [4, 5, 6]] → W^T = [[1, 4], [2, 5], [3, 6]].
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 3]))], outputs: ["y"],
        nodes: [Node(name: "t", op: .transpose(perm: [1, 0]), inputs: ["w"], outputs: ["wt"]),
                Node(name: "mm", op: .matMul, inputs: ["x", "wt"], outputs: ["y"])],
        parameters: ["w": weight([2, 3], [1, 2, 3, 4, 5, 6])])
    let before = g
    #expect(try runPass(FoldConstants(), on: &g) == 1)
    #expect(ops(g) == ["matmul"])
    let wt = g.parameters[g.nodes[0].inputs[1]]!
    #expect(wt.tensor.shape == [3, 2] && wt.tensor.scalars == [1, 4, 2, 5, 3, 6])
    #expect(wt.role == .weight && wt.trainable)
    #expect(g.parameters["w"] == nil)
    #expect(try relativeDifference(before, g) == 0)
}

@Test func doesNotFoldATrainableWeightWhenFoldTrainableIsOff() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 3]))], outputs: ["y"],
        nodes: [Node(name: "t", op: .transpose(perm: [1, 0]), inputs: ["w"], outputs: ["wt"]),
                Node(name: "mm", op: .matMul, inputs: ["x", "wt"], outputs: ["y"])],
        parameters: ["w": weight([2, 3], [1, 2, 3, 4, 5, 6])])
    #expect(try runPass(FoldConstants(foldTrainable: false), on: &g) == 0)
    #expect(ops(g) == ["transpose", "matmul"])
}

@Test func reshapeTargetWithTheInputsBatchBecomesZeroMinusOne() throws {
    // EfficientNet-Lite0's head: Reshape(p, Concat(Unsqueeze(Gather(Shape(p), 0)), [-1])).
    var g = try makeGraph(
        inputs: [("p", Shape([batchDim, 8, 1, 1]))], outputs: ["y"],
        nodes: [
            Node(name: "shape", op: .shape(start: 0, end: nil), inputs: ["p"], outputs: ["s"]),
            Node(name: "n", op: .gather(axis: 0), inputs: ["s", "zero"], outputs: ["n"]),
            Node(name: "un", op: .unsqueeze(axes: [0]), inputs: ["n"], outputs: ["un"]),
            Node(name: "target", op: .concat(axis: 0), inputs: ["un", "minusOne"], outputs: ["target"]),
            Node(name: "reshape", op: .reshape, inputs: ["p", "target"], outputs: ["y"]),
        ],
        parameters: ["zero": Parameter(Tensor(shape: [], int64s: [0]), role: .constant),
                     "minusOne": Parameter(Tensor(shape: [1], int64s: [-1]), role: .constant)])
    let before = g
    _ = try runPass(FoldConstants(), on: &g)
    #expect(ops(g) == ["reshape"])
    #expect(g.constant(g.nodes[0].inputs[1])!.int64s == [0, -1])
    #expect(g.valueTypes["y"]!.shape == Shape([batchDim, 8]))
    #expect(try relativeDifference(before, g, batch: 3) == 0)
}

@Test func constantArithmeticFolds() throws {
    // open_nsfw's Sub(const, const): [5, 7] - [1, 2] = [4, 5]; then y = x + [4, 5].
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "sub", op: .sub, inputs: ["a", "b"], outputs: ["c"]),
                Node(name: "add", op: .add, inputs: ["x", "c"], outputs: ["y"])],
        parameters: ["a": Parameter(Tensor(shape: [2], scalars: [5, 7]), role: .constant),
                     "b": Parameter(Tensor(shape: [2], scalars: [1, 2]), role: .constant)])
    #expect(try runPass(FoldConstants(), on: &g) == 1)
    #expect(g.constant("c")!.scalars == [4, 5])
}
