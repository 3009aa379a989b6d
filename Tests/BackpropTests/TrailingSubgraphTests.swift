import Foundation
import GraphIR
import KerasFormat
import ONNXFormat
import Runtime
import Surgery
import TensorCore
import Testing
import TestSupport

@Suite(.serialized) struct TrailingSubgraphTests {
    @Test func labdogFromBlock15IsTheLastTwoBlocksAndTheTop() throws {
        let g = try labdogTrailingSubgraph()
        #expect(g.inputs.map(\.name) == [labdogBoundary])
        #expect(g.inputs[0].type.shape.dims[0].value == nil)
        #expect(g.inputs[0].type.shape.dims.dropFirst().map(\.value) == [160, 5, 5])
        #expect(g.nodes.count == 9 + 8 + 3 + 2)
        #expect(g.nodes.first?.name == "mobilenetv2_1.00_160/block_15_expand")
        #expect(g.nodes.allSatisfy { ["block_15_", "block_16_", "Conv_1", "out_relu", "global_average_pooling2d"].contains(where: $0.name.contains) })
        #expect(!g.parameters.keys.contains { $0.contains("block_14") || $0.contains("dense") })
        #expect(Set(g.parameters.keys) == Set(g.nodes.flatMap(\.inputs).filter { g.parameters[$0] != nil }))
        #expect(g.type(of: g.outputs[0])?.shape.dims.last?.value == 1280)
    }

    /// On the uncut model: the head stays, the boundary value's activations reproduce the full model.
    @Test func labdogSubgraphReproducesTheFullModel() throws {
        let full = try KerasImporter.load(url: try Fixtures.realModel(.labdogMobileNetV2))
        let tail = try TrailingSubgraph.extract(full, from: labdogBoundary)
        #expect(tail.outputs == full.outputs)
        let shape = full.inputs[0].type.shape.dims.map { $0.value ?? 1 }
        let image = Tensor(shape: shape, scalars: uniform(shape.reduce(1, *), seed: 4))
        var upToBoundary = full
        upToBoundary.outputs = [labdogBoundary] + full.outputs
        let run = try Planner.compile(upToBoundary).run([full.inputs[0].name: image])
        let y = try Planner.compile(tail).run([labdogBoundary: run[labdogBoundary]!])[full.outputs[0]]!
        #expect(mismatch(y.scalars, run[full.outputs[0]]!.scalars, .kernel) == nil)
    }

    @Test func efficientNetLastTwoBlocksKeepTheirConstantSubgraphs() throws {
        var raw = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
        // With the head, its reshape target is computed from the image input's shape: a crossing.
        #expect(throws: SurgeryError.crossesBoundary(node: "/Reshape", value: "/Concat_output_0", boundary: efficientNetBoundary)) {
            try TrailingSubgraph.extract(raw, from: efficientNetBoundary)
        }
        try CutGraph(at: .after("/_avg_pooling/GlobalAveragePool")).apply(to: &raw)
        let tail = try TrailingSubgraph.extract(raw, from: efficientNetBoundary)
        #expect(tail.inputs.map(\.name) == [efficientNetBoundary])
        #expect(tail.nodes.contains { $0.name == "/_blocks.14/_depthwise_conv/static_padding/ConstantOfShape" })
        #expect(!tail.nodes.contains { $0.name.hasPrefix("/_blocks.13/") })
        #expect(try efficientNetTrailingSubgraph().nodes.count > 0)
    }

    @Test func aSkipAcrossTheBoundaryIsRejected() throws {
        let g = try KerasImporter.load(url: try Fixtures.realModel(.labdogMobileNetV2))
        #expect(throws: SurgeryError.crossesBoundary(node: "mobilenetv2_1.00_160/block_15_add",
                                                     value: labdogBoundary,
                                                     boundary: "mobilenetv2_1.00_160/block_15_expand_relu")) {
            try TrailingSubgraph.extract(g, from: "mobilenetv2_1.00_160/block_15_expand_relu")
        }
    }

    @Test func parametersAndUnknownNamesAreNotBoundaries() throws {
        let g = try KerasImporter.load(url: try Fixtures.realModel(.labdogMobileNetV2))
        #expect(throws: SurgeryError.boundaryNotAValue("mobilenetv2_1.00_160/Conv_1/kernel")) {
            try TrailingSubgraph.extract(g, from: "mobilenetv2_1.00_160/Conv_1/kernel")
        }
        #expect {
            try TrailingSubgraph.extract(g, from: "block_99_add")
        } throws: { error in
            if case SurgeryError.unknownName("block_99_add", _) = error { return true }
            return false
        }
        // A layer name stands for its output; the graph input gives the whole graph.
        #expect(try TrailingSubgraph.extract(g, from: "block_14_add").inputs.map(\.name) == [labdogBoundary])
        #expect(try TrailingSubgraph.extract(g, from: g.inputs[0].name).nodes.count == g.nodes.count)
    }

    /// A graph-input read after the boundary is a crossing too.
    @Test func readingTheGraphInputAfterTheBoundaryIsRejected() throws {
        let g = try graph([2, 3, 3],
                          [pointwise("a", "x", "p"), Node(name: "add", op: .add, inputs: ["p", "x"], outputs: ["y"])],
                          ["a.w": param([2, 2, 1, 1], seed: 1)])
        #expect(throws: SurgeryError.crossesBoundary(node: "add", value: "x", boundary: "p")) {
            try TrailingSubgraph.extract(g, from: "p")
        }
    }
}
