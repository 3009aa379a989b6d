import Foundation
import GraphIR
import KerasFormat
import ONNXFormat
import Surgery
import TensorCore
import Testing
import TestSupport

@Test func globMatchesStarsAndQuestionMarks() {
    #expect(Freeze.glob("block_1*", matches: "block_16_project/kernel"))
    #expect(Freeze.glob("*/kernel", matches: "a/b/kernel"))
    #expect(Freeze.glob("conv.?", matches: "conv.w"))
    #expect(!Freeze.glob("conv.?", matches: "conv.wb"))
    #expect(!Freeze.glob("block_1*", matches: "Conv1/kernel"))
    #expect(Freeze.glob("*", matches: ""))
}

@Test func freezeBeforeANodeFreezesItsAncestorsWeightsInclusive() throws {
    var g = try residualChain()
    try Freeze(.before("a_add")).apply(to: &g)
    #expect(Freeze.optimizerParameters(of: g) == ["b.w", "c.w"])
    try Freeze(.before("b")).apply(to: &g)
    #expect(Freeze.optimizerParameters(of: g) == ["c.w"])
}

@Test func selectionsSetEveryFlag() throws {
    var g = try residualChain()
    try Freeze(.all).apply(to: &g)
    #expect(Freeze.optimizerParameters(of: g).isEmpty)
    try Freeze(.pattern("a*")).apply(to: &g)
    #expect(Freeze.optimizerParameters(of: g) == ["b.w", "c.w", "stem.w"])
    let report = try Freeze(.none).apply(to: &g)
    #expect(report.frozenWeights == 0 && report.trainableParameters == 16)
    #expect(throws: SurgeryError.patternMatchesNothing("zz*")) { try Freeze(.pattern("zz*")).apply(to: &g) }
}

@Test func residualMergesSplitBlocksAndTrailingNodesJoinTheLast() throws {
    let g = try residualChain()
    let blocks = BlockFinder.blocks(in: g)
    #expect(blocks.map(\.name) == ["stem", "block_1"])
    #expect(blocks.map(\.nodes) == [["stem", "a", "a_relu", "a_add"], ["b", "b_relu", "b_add", "c"]])
    var frozen = g
    try Freeze(.trainLastBlocks(1)).apply(to: &frozen)
    #expect(Freeze.optimizerParameters(of: frozen) == ["b.w", "c.w"])
    #expect(throws: SurgeryError.notEnoughBlocks(requested: 2, available: 1)) { try Freeze(.trainLastBlocks(2)).apply(to: &frozen) }
}

@Test func labdogLastTwoBlocksAreBlocks15And16WithTheTopConvAndTheHead() throws {
    var g = try loadRealModel(.labdogMobileNetV2)
    let blocks = BlockFinder.blocks(in: g)
    #expect(blocks.first?.name == "stem")
    #expect(blocks.map(\.name).suffix(3) == ["block_15", "block_16", "head"])
    #expect(blocks.count == 1 + 16 + 1)
    try Freeze(.trainLastBlocks(2)).apply(to: &g)
    let trainable = Freeze.optimizerParameters(of: g)
    let layers = Set(trainable.map { name -> String in
        let layer = name.split(separator: "/").dropLast().last.map(String.init) ?? name
        return layer
    })
    // Every trainable weight belongs to block_15_*, block_16_*, Conv_1 / Conv_1_bn, or the dense head.
    #expect(layers.allSatisfy { $0.hasPrefix("block_15_") || $0.hasPrefix("block_16_") || $0.hasPrefix("Conv_1") || $0 == "dense" },
            "\(layers.sorted())")
    #expect(layers.contains("Conv_1") && layers.contains("Conv_1_bn") && layers.contains("dense"))
    #expect(layers.contains("block_15_expand") && layers.contains("block_16_project_BN"))
    // And every weight of those layers is trainable.
    let expected = g.parameters.filter { p in
        p.value.role == .weight && ["/block_15_", "/block_16_", "/Conv_1/", "/Conv_1_bn/", "dense/"].contains { p.key.contains($0) }
    }.keys.sorted()
    #expect(trainable == expected)
}

@Test(arguments: [RealModel.labdogMobileNetV2, .efficientNetLite0])
func optimizerReceivesExactlyTheHeadAfterAttachAndFreezeAllButHead(_ model: RealModel) throws {
    var g = try loadRealModel(model)
    let report = try GraftHead(HeadSpec(kind: .binary(softmax: false), hidden: 16, seed: 1)).apply(to: &g)
    var onlyHead = g
    try Freeze(.trainLastBlocks(0)).apply(to: &onlyHead)
    #expect(Freeze.optimizerParameters(of: onlyHead) == report.parameters.sorted())
    // The same through --before the cut point.
    var beforeCut = g
    try Freeze(.before(report.cut!.output)).apply(to: &beforeCut)
    #expect(Freeze.optimizerParameters(of: beforeCut) == report.parameters.sorted())
}

@Test func trainableFlagsClassNamesAndThresholdSurviveBothFormats() throws {
    var g = try loadRealModel(.labdogMobileNetV2)
    try GraftHead(HeadSpec(kind: .binary(softmax: false), labels: ["cat", "dog"], seed: 3)).apply(to: &g)
    try Freeze(.trainLastBlocks(1)).apply(to: &g)
    func flags(_ graph: Graph) -> [Bool] {
        // Names differ between formats; the order of weights in graph order does not.
        var seen = Set<String>(), result: [Bool] = []
        for node in graph.nodes {
            for input in node.inputs where graph.parameters[input]?.role == .weight && seen.insert(input).inserted {
                result.append(graph.parameters[input]!.trainable)
            }
        }
        return result
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-freeze-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let onnx = dir.appendingPathComponent("m.onnx"), h5 = dir.appendingPathComponent("m.h5")
    try ONNXWriter.write(g, to: onnx)
    try KerasH5Writer.write(g, to: h5)
    for back in [try ONNXImporter.load(url: onnx), try KerasImporter.load(url: h5)] {
        #expect(flags(back) == flags(g))
        #expect(back.metadata.classNames == ["cat", "dog"])
        #expect(back.metadata.properties["graft.threshold"] == "0.5")
    }
    #expect(flags(g).filter { $0 }.count > 2 && flags(g).contains(false))
}
