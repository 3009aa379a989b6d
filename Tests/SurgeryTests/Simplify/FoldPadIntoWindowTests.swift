import GraphIR
import Surgery
import Testing
import TensorCore

private func padThen(_ op: Op, mode: PadMode = .constant, value: Float = 0, pads: [Int64] = [0, 0, 1, 0, 0, 0, 1, 2],
                     before: Op? = nil, parameters extra: [String: Parameter] = [:], windowInputs: [String] = []) throws -> Graph {
    var nodes: [Node] = []
    var source = "x"
    if let before {
        nodes.append(Node(name: "pre", op: before, inputs: ["x"], outputs: ["r"]))
        source = "r"
    }
    nodes.append(Node(name: "pad", op: .pad(mode: mode, value: value), inputs: [source, "pads"], outputs: ["p"]))
    nodes.append(Node(name: "window", op: op, inputs: ["p"] + windowInputs, outputs: ["y"]))
    var parameters = extra
    parameters["pads"] = Parameter(Tensor(shape: [8], int64s: pads), role: .constant)
    return try makeGraph(inputs: [("x", Shape([batchDim, 2, 5, 5]))], outputs: ["y"], nodes: nodes, parameters: parameters)
}

private let convWeights: [String: Parameter] = ["w": seeded([3, 2, 3, 3], seed: 1), "b": seeded([3], seed: 2)]

@Test func zeroPadFoldsIntoConvPads() throws {
    // Pad begins [H 1, W 0], ends [H 1, W 2] → conv pads [top 1, left 0, bottom 1, right 2].
    var g = try padThen(.conv2d(Conv2DAttributes(kernel: [3, 3])), parameters: convWeights, windowInputs: ["w", "b"])
    let before = g
    #expect(try runPass(FoldPadIntoWindow(), on: &g) == 1)
    #expect(g.nodes.map(\.op) == [.conv2d(Conv2DAttributes(kernel: [3, 3], pads: [1, 0, 1, 2]))])
    #expect(g.nodes[0].inputs[0] == "x")
    #expect(try relativeDifference(before, g) < 1e-6)
}

@Test func padWithNonZeroValueIsNotFoldedIntoConv() throws {
    var g = try padThen(.conv2d(Conv2DAttributes(kernel: [3, 3])), value: 1, parameters: convWeights, windowInputs: ["w", "b"])
    #expect(try runPass(FoldPadIntoWindow(), on: &g) == 0)
}

@Test func padOnTheChannelAxisIsNotFolded() throws {
    var g = try padThen(.conv2d(Conv2DAttributes(kernel: [3, 3])), pads: [0, 1, 0, 0, 0, 0, 0, 0],
                        parameters: ["w": seeded([3, 3, 3, 3], seed: 1)], windowInputs: ["w"])
    #expect(try runPass(FoldPadIntoWindow(), on: &g) == 0)
}

@Test func edgePadFoldsIntoMaxPool() throws {
    // open_nsfw's stem: edge pad [0, 0, 1, 1] then 3×3/2 max pool.
    var g = try padThen(.maxPool(PoolAttributes(kernel: [3, 3], strides: [2, 2])), mode: .edge, pads: [0, 0, 0, 0, 0, 0, 1, 1])
    let before = g
    #expect(try runPass(FoldPadIntoWindow(), on: &g) == 1)
    #expect(g.nodes.map(\.op) == [.maxPool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1]))])
    #expect(try relativeDifference(before, g) == 0)
}

@Test func zeroPadFoldsIntoMaxPoolOnlyAfterRelu() throws {
    let pool = Op.maxPool(PoolAttributes(kernel: [3, 3], strides: [2, 2]))
    var signed = try padThen(pool)
    #expect(try runPass(FoldPadIntoWindow(), on: &signed) == 0)
    var rectified = try padThen(pool, before: .relu)
    let before = rectified
    #expect(try runPass(FoldPadIntoWindow(), on: &rectified) == 1)
    #expect(try relativeDifference(before, rectified) == 0)
}

@Test func averagePoolFoldsOnlyWhenPadsAreCounted() throws {
    let excluding = Op.averagePool(PoolAttributes(kernel: [3, 3], pads: [1, 1, 1, 1], countIncludePad: false))
    var g = try padThen(excluding)
    #expect(try runPass(FoldPadIntoWindow(), on: &g) == 0)

    var unpadded = try padThen(.averagePool(PoolAttributes(kernel: [3, 3])))
    let before = unpadded
    #expect(try runPass(FoldPadIntoWindow(), on: &unpadded) == 1)
    #expect(unpadded.nodes.map(\.op) == [.averagePool(PoolAttributes(kernel: [3, 3], pads: [1, 0, 1, 2], countIncludePad: true))])
    #expect(try relativeDifference(before, unpadded) < 1e-6)
}
