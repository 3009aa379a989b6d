import GraphIR
import Surgery
import Testing
import TensorCore
import TestSupport

/// A miniature open_nsfw block: NHWC input → edge-free zero pad → no-op cast →
/// NCHW → conv → NHWC → bias/BN spelled as Add/Sub/Mul/Add → relu → NCHW → identity.
private func nhwcBlock() throws -> Graph {
    try makeGraph(
        inputs: [("x", Shape([batchDim, 4, 4, 2]))], outputs: ["y"],
        nodes: [
            Node(name: "pad", op: .pad(mode: .constant, value: 0), inputs: ["x", "pads"], outputs: ["p"]),
            Node(name: "cast", op: .cast(to: .float32), inputs: ["p"], outputs: ["pc"]),
            Node(name: "to_nchw", op: .transpose(perm: [0, 3, 1, 2]), inputs: ["pc"], outputs: ["a"]),
            Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [3, 3], strides: [2, 2])), inputs: ["a", "w"], outputs: ["c"]),
            Node(name: "to_nhwc", op: .transpose(perm: [0, 2, 3, 1]), inputs: ["c"], outputs: ["d"]),
            Node(name: "bias", op: .add, inputs: ["d", "b"], outputs: ["e"]),
            Node(name: "sub", op: .sub, inputs: ["e", "mean"], outputs: ["f"]),
            Node(name: "mul", op: .mul, inputs: ["f", "scale"], outputs: ["g"]),
            Node(name: "shift", op: .add, inputs: ["g", "beta"], outputs: ["h"]),
            Node(name: "relu", op: .relu, inputs: ["h"], outputs: ["r"]),
            Node(name: "back", op: .transpose(perm: [0, 3, 1, 2]), inputs: ["r"], outputs: ["t"]),
            Node(name: "out", op: .identity, inputs: ["t"], outputs: ["y"]),
        ],
        parameters: ["pads": Parameter(Tensor(shape: [8], int64s: [0, 1, 1, 0, 0, 1, 1, 0]), role: .constant),
                     "w": seeded([3, 2, 3, 3], seed: 11), "b": seeded([3], seed: 12), "mean": seeded([3], seed: 13),
                     "scale": seeded([3], seed: 14), "beta": seeded([3], seed: 15)])
}

@Test func simplifiesTheNHWCBlockToConvAndRelu() throws {
    let g = try nhwcBlock()
    let (s, report) = try Simplifier.simplify(g)
    #expect(ops(s) == ["transpose", "conv2d", "relu"])
    #expect(s.outputs == ["y"] && s.nodes.last!.outputs == ["y"])
    #expect(report.nodesBefore == 12 && report.nodesAfter == 3)
    #expect(report.opsAfter == ["transpose": 1, "conv2d": 1, "relu": 1])
    #expect(try relativeDifference(g, s) <= 1e-5)
    try expectGolden(GraphPrinter.print(g), named: "nhwc_block.before.txt")
    try expectGolden(GraphPrinter.print(s), named: "nhwc_block.after.txt")
}

@Test func reportCountsRewritesPerPass() throws {
    let (_, report) = try Simplifier.simplify(try nhwcBlock())
    let counts = Dictionary(uniqueKeysWithValues: report.passes.map { ($0.pass, $0.rewrites) })
    #expect(counts["remove-identities"] == 2)            // the cast and the identity
    #expect(counts["fuse-affine-chain"] == 1)
    #expect(counts["fold-batchnorm-into-conv"] == 1)
    #expect(counts["fold-pad-into-window"] == 1)
    #expect(counts["move-pad-after-transpose"] == 1)
    #expect(report.description.contains("Nodes: 12 -> 3"))
}

@Test func withFoldTrainableOffTrainableParametersStaySeparate() throws {
    let g = try nhwcBlock()
    let (s, report) = try Simplifier.simplify(g, foldTrainable: false)
    #expect(report.parametersAfter == report.parametersBefore)
    #expect(!ops(s).contains("batch_norm"))
    #expect(ops(s).filter { $0 == "add" || $0 == "sub" || $0 == "mul" }.count == 4)
    #expect(try relativeDifference(g, s) <= 1e-5)
}
