import GraphIR
import Surgery
import Testing
import TensorCore

private let nchw = Shape([batchDim, 2, 3, 4])
private let toNHWC = [0, 2, 3, 1], toNCHW = [0, 3, 1, 2]

@Test func inverseTransposePairCancels() throws {
    var g = try makeGraph(
        inputs: [("x", nchw)], outputs: ["y"],
        nodes: [Node(name: "t1", op: .transpose(perm: toNHWC), inputs: ["x"], outputs: ["a"]),
                Node(name: "t2", op: .transpose(perm: toNCHW), inputs: ["a"], outputs: ["b"]),
                Node(name: "relu", op: .relu, inputs: ["b"], outputs: ["y"])],
        parameters: [:])
    let before = g
    #expect(try runPass(CancelTransposePairs(), on: &g) == 1)
    #expect(ops(g) == ["relu"])
    #expect(g.nodes[0].inputs == ["x"])
    #expect(try relativeDifference(before, g) == 0)
}

@Test func nonInversePairMergesIntoOneTranspose() throws {
    // p = [0, 2, 3, 1], q = [0, 2, 3, 1]: r[j] = p[q[j]] = [0, 3, 1, 2].
    var g = try makeGraph(
        inputs: [("x", nchw)], outputs: ["y"],
        nodes: [Node(name: "t1", op: .transpose(perm: toNHWC), inputs: ["x"], outputs: ["a"]),
                Node(name: "t2", op: .transpose(perm: toNHWC), inputs: ["a"], outputs: ["y"])],
        parameters: [:])
    let before = g
    #expect(try runPass(CancelTransposePairs(), on: &g) == 1)
    #expect(g.nodes.map(\.op) == [.transpose(perm: [0, 3, 1, 2])])
    #expect(try relativeDifference(before, g) == 0)
}

@Test func transposeSinksThroughReluAndPerChannelAddThenCancels() throws {
    // open_nsfw: conv output → NHWC → Add(bias[C]) → Relu → back to NCHW.
    var g = try makeGraph(
        inputs: [("x", nchw)], outputs: ["y"],
        nodes: [Node(name: "t1", op: .transpose(perm: toNHWC), inputs: ["x"], outputs: ["a"]),
                Node(name: "add", op: .add, inputs: ["a", "bias"], outputs: ["b"]),
                Node(name: "relu", op: .relu, inputs: ["b"], outputs: ["c"]),
                Node(name: "t2", op: .transpose(perm: toNCHW), inputs: ["c"], outputs: ["y"])],
        parameters: ["bias": weight([2], [0.5, -0.25])])
    let before = g
    #expect(try runPass(SinkTransposes(), on: &g) == 2)
    #expect(try runPass(CancelTransposePairs(), on: &g) == 1)
    #expect(ops(g) == ["add", "relu"])
    // The [2] bias broadcast over NHWC's last axis becomes [2, 1, 1] over NCHW's channel axis.
    let bias = g.constant(g.nodes[0].inputs[1])!
    #expect(bias.shape == [1, 2, 1, 1] && bias.scalars == [0.5, -0.25])
    #expect(g.outputs == ["y"] && g.nodes[1].outputs == ["y"])
    #expect(try relativeDifference(before, g) == 0)
}

@Test func residualAddOfTwoTransposedBranchesSinks() throws {
    var g = try makeGraph(
        inputs: [("x", nchw), ("z", nchw)], outputs: ["y"],
        nodes: [Node(name: "t1", op: .transpose(perm: toNHWC), inputs: ["x"], outputs: ["a"]),
                Node(name: "t2", op: .transpose(perm: toNHWC), inputs: ["z"], outputs: ["b"]),
                Node(name: "add", op: .add, inputs: ["a", "b"], outputs: ["c"]),
                Node(name: "t3", op: .transpose(perm: toNCHW), inputs: ["c"], outputs: ["y"])],
        parameters: [:])
    let before = g
    _ = try runPass(SinkTransposes(), on: &g)
    _ = try runPass(CancelTransposePairs(), on: &g)
    #expect(ops(g) == ["add"])
    #expect(try relativeDifference(before, g) == 0)
}

@Test func reduceMeanOverNHWCSpatialAxesReadsNCHWDirectly() throws {
    // mean over axes [1, 2] of NHWC = mean over [2, 3] of NCHW; the kept axes (N, C) keep their order.
    var g = try makeGraph(
        inputs: [("x", nchw)], outputs: ["y"],
        nodes: [Node(name: "t", op: .transpose(perm: toNHWC), inputs: ["x"], outputs: ["a"]),
                Node(name: "mean", op: .reduceMean(axes: [1, 2], keepDims: false), inputs: ["a"], outputs: ["y"])],
        parameters: [:])
    let before = g
    #expect(try runPass(SinkTransposes(), on: &g) == 1)
    #expect(g.nodes.map(\.op) == [.reduceMean(axes: [2, 3], keepDims: false)])
    #expect(try relativeDifference(before, g) < 1e-6)
}

@Test func doesNotSinkATransposeWithAnotherReader() throws {
    var g = try makeGraph(
        inputs: [("x", nchw)], outputs: ["y", "a"],
        nodes: [Node(name: "t", op: .transpose(perm: toNHWC), inputs: ["x"], outputs: ["a"]),
                Node(name: "relu", op: .relu, inputs: ["a"], outputs: ["y"])],
        parameters: [:])
    #expect(try runPass(SinkTransposes(), on: &g) == 0)
}

@Test func padMovesBelowTheTransposeWithPermutedPads() throws {
    // NHWC pads [0, 1, 2, 0 | 0, 3, 4, 0] (begin | end) → NCHW [0, 0, 1, 2 | 0, 0, 3, 4].
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 3, 4, 2]))], outputs: ["y"],
        nodes: [Node(name: "pad", op: .pad(mode: .constant, value: 0), inputs: ["x", "pads"], outputs: ["p"]),
                Node(name: "t", op: .transpose(perm: toNCHW), inputs: ["p"], outputs: ["y"])],
        parameters: ["pads": Parameter(Tensor(shape: [8], int64s: [0, 1, 2, 0, 0, 3, 4, 0]), role: .constant)])
    let before = g
    #expect(try runPass(MovePadAfterTranspose(), on: &g) == 1)
    #expect(ops(g) == ["transpose", "pad"])
    #expect(g.constant(g.nodes[1].inputs[1])!.int64s == [0, 0, 1, 2, 0, 0, 3, 4])
    #expect(try relativeDifference(before, g) == 0)
}
