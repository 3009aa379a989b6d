import GraphIR
import Surgery
import Testing
import TensorCore

/// x[N, 1, 2, 2] → Conv(1×1, W = [2, -1], no bias) → BN → output.
/// BN: scale [1, 4], bias [0.5, 0], mean [1, 1], var [3, 3], eps 1
/// → s = scale / sqrt(var + eps) = [1/2, 4/2] = [0.5, 2].
private func convBN(bnTrainable: Bool = true, convOutputIsAlsoAGraphOutput: Bool = false) throws -> Graph {
    try makeGraph(
        inputs: [("x", Shape([batchDim, 1, 2, 2]))], outputs: convOutputIsAlsoAGraphOutput ? ["y", "c"] : ["y"],
        nodes: [Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [1, 1])), inputs: ["x", "w"], outputs: ["c"]),
                Node(name: "bn", op: .batchNorm(epsilon: 1), inputs: ["c", "gamma", "beta", "mean", "var"], outputs: ["y"])],
        parameters: ["w": weight([2, 1, 1, 1], [2, -1]),
                     "gamma": weight([2], [1, 4], trainable: bnTrainable), "beta": weight([2], [0.5, 0], trainable: bnTrainable),
                     "mean": Parameter(Tensor(shape: [2], scalars: [1, 1]), role: .statistic),
                     "var": Parameter(Tensor(shape: [2], scalars: [3, 3]), role: .statistic)])
}

@Test func foldsAndRewiresOutput() throws {
    var g = try convBN()
    let before = g
    let bn = index(of: "bn", in: g)
    #expect(FoldBatchNormIntoConv().matches(bn, in: g))
    try FoldBatchNormIntoConv().apply(bn, in: &g)
    _ = try runPass(RemoveDeadNodes(), on: &g)
    let conv = index(of: "conv", in: g)
    // W' = W * s = [2 * 0.5, -1 * 2] = [1, -2]; b' = (0 - mean) * s + bias = [-0.5 + 0.5, -2 + 0] = [0, -2].
    #expect(g.constant(g.nodes[conv].inputs[1])!.scalars == [1, -2])
    #expect(g.constant(g.nodes[conv].inputs[2])!.scalars == [0, -2])
    #expect(g.nodes.count == 1 && g.nodes[conv].outputs == ["y"])
    #expect(g.parameters.count == 2)
    #expect(try relativeDifference(before, g) < 1e-6)
}

@Test func doesNotFireWhenConvOutputIsAlsoAGraphOutput() throws {
    let g = try convBN(convOutputIsAlsoAGraphOutput: true)
    #expect(!FoldBatchNormIntoConv().matches(index(of: "bn", in: g), in: g))
}

@Test func doesNotFireWhenConvOutputHasAnotherReader() throws {
    var g = try convBN()
    g.nodes.append(Node(name: "other", op: .relu, inputs: ["c"], outputs: ["r"]))
    g.outputs.append("r")
    #expect(!FoldBatchNormIntoConv().matches(index(of: "bn", in: g), in: g))
}

@Test func trainableBatchNormIsNotFoldedWithFoldTrainableOff() throws {
    let trainable = try convBN(bnTrainable: true)
    #expect(!FoldBatchNormIntoConv(foldTrainable: false).matches(index(of: "bn", in: trainable), in: trainable))
    #expect(FoldBatchNormIntoConv(foldTrainable: true).matches(index(of: "bn", in: trainable), in: trainable))

    var frozen = try convBN(bnTrainable: false)
    frozen.parameters["w"]!.trainable = false
    #expect(FoldBatchNormIntoConv(foldTrainable: false).matches(index(of: "bn", in: frozen), in: frozen))
}

@Test func doesNotFireWhenStatisticsAreNotConstants() throws {
    var g = try convBN()
    g.parameters["mean"] = nil
    g.inputs.append(GraphInput(name: "mean", type: ValueType(.float32, Shape([2]))))
    #expect(!FoldBatchNormIntoConv().matches(index(of: "bn", in: g), in: g))
}

@Test func foldsIntoGemmWithTransposedWeights() throws {
    // y = BN(x @ Bᵀ + C), B = [[1, 2], [3, 4]] ([out, in]), C = [1, 1]; BN as in convBN: s = [0.5, 2].
    // B' rows scaled: [[0.5, 1], [6, 8]]; C' = s * (C - mean) + bias = [0 + 0.5, 0 + 0] = [0.5, 0].
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 2]))], outputs: ["y"],
        nodes: [Node(name: "fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["x", "B", "C"], outputs: ["f"]),
                Node(name: "bn", op: .batchNorm(epsilon: 1), inputs: ["f", "gamma", "beta", "mean", "var"], outputs: ["y"])],
        parameters: ["B": weight([2, 2], [1, 2, 3, 4]), "C": weight([2], [1, 1]),
                     "gamma": weight([2], [1, 4]), "beta": weight([2], [0.5, 0]),
                     "mean": Parameter(Tensor(shape: [2], scalars: [1, 1]), role: .statistic),
                     "var": Parameter(Tensor(shape: [2], scalars: [3, 3]), role: .statistic)])
    let before = g
    #expect(try runPass(FoldBatchNormIntoGemm(), on: &g) == 1)
    #expect(ops(g) == ["gemm"])
    #expect(g.constant(g.nodes[0].inputs[1])!.scalars == [0.5, 1, 6, 8])
    #expect(g.constant(g.nodes[0].inputs[2])!.scalars == [0.5, 0])
    #expect(try relativeDifference(before, g) < 1e-6)
}

@Test func seededConvBatchNormFoldKeepsOutputs() throws {
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, 3, 6, 6]))], outputs: ["y"],
        nodes: [Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1])),
                     inputs: ["x", "w", "b"], outputs: ["c"]),
                Node(name: "bn", op: .batchNorm(epsilon: 1e-3), inputs: ["c", "g", "be", "m", "v"], outputs: ["y"])],
        parameters: ["w": seeded([4, 3, 3, 3], seed: 1), "b": seeded([4], seed: 2), "g": seeded([4], seed: 3),
                     "be": seeded([4], seed: 4), "m": seeded([4], seed: 5, role: .statistic),
                     "v": seeded([4], seed: 6, role: .statistic, positive: true)])
    let before = g
    #expect(try runPass(FoldBatchNormIntoConv(), on: &g) == 1)
    #expect(try relativeDifference(before, g) <= 1e-5)
}
