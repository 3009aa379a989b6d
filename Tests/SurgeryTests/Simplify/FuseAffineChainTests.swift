import GraphIR
import Surgery
import Testing
import TensorCore

/// open_nsfw's decomposed batch norm on NCHW: conv → Add(b) → Sub(m) → Mul(s) → Add(beta) → relu.
private func convAffineChain() throws -> Graph {
    try makeGraph(
        inputs: [("x", Shape([batchDim, 1, 2, 2]))], outputs: ["y"],
        nodes: [Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [1, 1])), inputs: ["x", "w"], outputs: ["c"]),
                Node(name: "bias", op: .add, inputs: ["c", "b"], outputs: ["c1"]),
                Node(name: "sub", op: .sub, inputs: ["c1", "m"], outputs: ["c2"]),
                Node(name: "mul", op: .mul, inputs: ["c2", "s"], outputs: ["c3"]),
                Node(name: "add", op: .add, inputs: ["c3", "beta"], outputs: ["c4"]),
                Node(name: "relu", op: .relu, inputs: ["c4"], outputs: ["y"])],
        parameters: ["w": weight([2, 1, 1, 1], [2, -1]),
                     "b": weight([2, 1, 1], [1, 2]), "m": weight([2, 1, 1], [3, 1]),
                     "s": weight([2, 1, 1], [0.5, 2]), "beta": weight([2, 1, 1], [1, 0])])
}

@Test func chainBecomesOneBatchNorm() throws {
    var g = try convAffineChain()
    let before = g
    #expect(try runPass(FuseAffineChain(), on: &g) == 1)
    #expect(ops(g) == ["conv2d", "batch_norm", "relu"])
    // ((c + b) - m) * s + beta = c * s + ((b - m) * s + beta):
    // scale = [0.5, 2], shift = [(1 - 3) * 0.5 + 1, (2 - 1) * 2 + 0] = [0, 2].
    let bn = g.nodes[1]
    #expect(bn.op == .batchNorm(epsilon: 0))
    #expect(g.constant(bn.inputs[1])!.scalars == [0.5, 2])
    #expect(g.constant(bn.inputs[2])!.scalars == [0, 2])
    #expect(g.constant(bn.inputs[3])!.scalars == [0, 0])
    #expect(g.constant(bn.inputs[4])!.scalars == [1, 1])
    #expect(try relativeDifference(before, g) < 1e-6)

    _ = try runPass(FoldBatchNormIntoConv(), on: &g)
    // W' = [2 * 0.5, -1 * 2] = [1, -2]; b' = 0 * s + shift = [0, 2].
    #expect(ops(g) == ["conv2d", "relu"])
    #expect(g.constant(g.nodes[0].inputs[1])!.scalars == [1, -2])
    #expect(g.constant(g.nodes[0].inputs[2])!.scalars == [0, 2])
    #expect(try relativeDifference(before, g) < 1e-6)
}

@Test func constantMinusValueAndDivisionCompose() throws {
    // y = (c - x) / 4 = x * (-0.25) + c / 4 with c = [8, -4] → scale -0.25, shift [2, -1].
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2, 3]))], outputs: ["y"],
        nodes: [Node(name: "sub", op: .sub, inputs: ["c", "x"], outputs: ["a"]),
                Node(name: "div", op: .div, inputs: ["a", "four"], outputs: ["y"])],
        parameters: ["c": Parameter(Tensor(shape: [2, 1], scalars: [8, -4]), role: .constant),
                     "four": Parameter(Tensor(shape: [], scalars: [4]), role: .constant)])
    let before = g
    #expect(try runPass(FuseAffineChain(), on: &g) == 1)
    #expect(g.constant(g.nodes[0].inputs[1])!.scalars == [-0.25, -0.25])
    #expect(g.constant(g.nodes[0].inputs[2])!.scalars == [2, -1])
    #expect(try relativeDifference(before, g) < 1e-6)
}

@Test func doesNotFuseAcrossAnIntermediateWithAnotherReader() throws {
    var g = try convAffineChain()
    g.outputs.append("c2")
    try GraphVerifier.verify(g)
    _ = try runPass(FuseAffineChain(), on: &g)
    // Two chains: [bias, sub] (c2 is an output) and [mul, add].
    #expect(ops(g) == ["conv2d", "batch_norm", "batch_norm", "relu"])
    #expect(g.outputs.contains("c2"))
}

@Test func constantVaryingOnASpatialAxisIsNotPerChannel() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2, 3]))], outputs: ["y"],
        nodes: [Node(name: "mul", op: .mul, inputs: ["x", "s"], outputs: ["a"]),
                Node(name: "add", op: .add, inputs: ["a", "s"], outputs: ["y"])],
        parameters: ["s": weight([3], [1, 2, 3])])
    #expect(try runPass(FuseAffineChain(), on: &g) == 0)
}

@Test func trainableConstantsStayWithFoldTrainableOff() throws {
    var g = try convAffineChain()
    #expect(try runPass(FuseAffineChain(foldTrainable: false), on: &g) == 0)
}
