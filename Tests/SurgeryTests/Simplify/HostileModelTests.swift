import Foundation
import GraphIR
import ONNXFormat
import Surgery
import TensorCore
import TestSupport
import Testing

/// `graft simplify`'s passes on tiny models that ask for huge tensors
/// (`Formats/onnx/corrupt`, see its `generate.py`): the bound is checked before the
/// tensor is computed, so each node is left in place and nothing large is allocated.
@Test(arguments: [("constant_of_shape_10g", "big"), ("broadcast_add_10g", "outer"), ("gather_10g", "repeat")])
func simplifyLeavesATenGigaElementConstantUnfolded(_ file: String, _ node: String) throws {
    let graph = try ONNXImporter.load(url: Fixtures.repoFile("Formats/onnx/corrupt/\(file).onnx"))
    let (simplified, _) = try Simplifier.simplify(graph)
    #expect(simplified.nodes.contains { $0.name == node }, "\(ops(simplified))")
    #expect(simplified.parameters.values.allSatisfy { $0.tensor.elementCount <= 100_000 })
}

/// `x * 2 + 1` on x `[N, 2^26 + 1, 1, 1]`: fusing the chain would spread each scalar
/// over the channels the file declares (4 arrays of 2^26 doubles and 4 parameters).
@Test func affineChainOverMoreChannelsThanTheFoldLimitIsNotFused() throws {
    let channels = FoldLimit.floor + 1
    var g = try makeGraph(
        inputs: [("x", Shape([batchDim, .known(channels), 1, 1]))], outputs: ["y"],
        nodes: [Node(name: "scale", op: .mul, inputs: ["x", "s"], outputs: ["m"]),
                Node(name: "shift", op: .add, inputs: ["m", "b"], outputs: ["y"])],
        parameters: ["s": weight([1], [2]), "b": weight([1], [1])])
    #expect(try runPass(FuseAffineChain(), on: &g) == 0)
    #expect(ops(g) == ["mul", "add"])
}
