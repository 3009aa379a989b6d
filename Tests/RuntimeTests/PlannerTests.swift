import Foundation
import Testing
import GraphIR
import ONNXFormat
import Runtime
import TensorCore
import TestSupport

/// What the planner does to real graphs (structure), and its errors.
@Suite struct PlannerTests {
    @Test func openNSFWFoldsCastsTransposesBatchNormAndActivations() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.openNSFW))
        let steps = try Planner.compile(graph).stepCounts(batch: 2)
        // 53 convs, each with its Sub/Mul/Add batch norm and ReLU folded in; no casts or transposes run.
        #expect((steps["conv1x1"] ?? 0) + (steps["conv_kxk"] ?? 0) + (steps["conv_direct"] ?? 0) == 53)
        #expect(steps["conv_direct"] == 1, "the 7×7 RGB stem runs direct")
        #expect(steps["activation"] == nil)
        #expect(steps["layout"] == nil)
        #expect(steps["batch_norm"] == nil)
        #expect((steps["elementwise"] ?? 0) <= 5, "residual adds are fused into convs: \(steps)")
    }

    @Test func efficientNetLite0FoldsPadSubgraphsIntoConvolutions() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
        let steps = try Planner.compile(graph).stepCounts(batch: 2)
        #expect(steps["pad"] == nil)
        #expect(steps["activation"] == nil)
        #expect(steps["depthwise"] == 16)
        #expect(steps["layout"] == 1, "only the NCHW input is converted to NHWC: \(steps)")
    }

    @Test func buffersAreReusedAcrossLifetimes() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.openNSFW))
        let plan = try Planner.compile(graph)
        let peak = try plan.peakBytes(batch: 2)
        // The largest activation is [2, 64, 112, 112] floats; without reuse the sum would be > 100 MB.
        #expect(peak < 20 * 1_048_576, "peak \(peak) bytes")
    }

    @Test func oneCompiledPlanRunsSeveralBatchSizes() throws {
        let graph = try ONNXImporter.load(url: Fixtures.repoFile("Models/onnx-ops/conv_block.onnx"))
        let plan = try Planner.compile(graph)
        let input = graph.inputs[0]
        let three = try plan.run([input.name: formulaInput(concreteShape(input, batch: 3))])
        let one = try plan.run([input.name: formulaInput(concreteShape(input, batch: 1))])
        let y3 = try #require(three[graph.outputs[0]]), y1 = try #require(one[graph.outputs[0]])
        #expect(y3.shape[0] == 3 && y1.shape[0] == 1)
        // The first image is the same in both runs (same formula prefix).
        #expect(mismatch(Array(y3.scalars.prefix(y1.elementCount)), y1.scalars, .kernel) == nil)
    }

    @Test func wrongInputShapeIsAnError() throws {
        let graph = try ONNXImporter.load(url: Fixtures.repoFile("Models/onnx-ops/conv_block.onnx"))
        let plan = try Planner.compile(graph)
        let name = graph.inputs[0].name
        #expect(throws: RuntimeError.self) { try plan.run([name: Tensor(zeros: [1, 3, 9, 8])]) }
        #expect(throws: RuntimeError.missingInput(name: name)) { try plan.run([:]) }
    }

    @Test func fixedBatchSizeRefusesOtherBatches() throws {
        let graph = try ONNXImporter.load(url: Fixtures.repoFile("Models/onnx-ops/conv_block.onnx"))
        let plan = try Planner.compile(graph, batchSize: 2)
        let input = graph.inputs[0]
        #expect(throws: RuntimeError.self) { try plan.run([input.name: formulaInput(concreteShape(input, batch: 3))]) }
        _ = try plan.run([input.name: formulaInput(concreteShape(input, batch: 2))])
    }

    @Test func nanInTheInputGivesNaNNotACrash() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
        let plan = try Planner.compile(graph)
        let input = graph.inputs[0]
        var x = formulaInput(concreteShape(input, batch: 1)).scalars
        x[1000] = .nan
        let y = try #require(try plan.run([input.name: Tensor(shape: concreteShape(input, batch: 1), scalars: x)])[graph.outputs[0]])
        #expect(y.scalars.contains { $0.isNaN })
    }
}

@Suite struct ImageByImageTests {
    @Test func batchesOfRealModelsRunImageByImage() throws {
        for model in [RealModel.openNSFW, .efficientNetLite0] {
            let plan = try Planner.compile(try ONNXImporter.load(url: try Fixtures.realModel(model)))
            #expect(try plan.runsImageByImage(batch: 4), "\(model)")
            #expect(try plan.runsImageByImage(batch: 1) == false)
        }
    }

    @Test func imageByImageAgreesWithTheWholeBatchPlan() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
        let input = graph.inputs[0]
        let x = formulaInput(concreteShape(input, batch: 3))
        let split = try Planner.compile(graph).run([input.name: x])[graph.outputs[0]]!
        // A fixed batch size has no symbolic batch left to split on: one plan for all three images.
        var fixed = graph
        fixed.inputs[0].type.shape.dims[0] = .known(3)
        let whole = try Planner.compile(fixed).run([input.name: x])[graph.outputs[0]]!
        #expect(mismatch(split.scalars, whole.scalars, .kernel) == nil)
    }

    /// Batch 9 on 2 cores runs staged: images one by one up to the 7×7 cut, then groups
    /// of 4, 4 and 1 (the short last group has its own plans).
    @Test(arguments: [RealModel.efficientNetLite0, .openNSFW])
    func stagedRunAgreesWithTheWholeBatchPlan(_ model: RealModel) throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(model))
        let input = graph.inputs[0]
        let x = formulaInput(concreteShape(input, batch: 9))
        let plan = try Planner.compile(graph)
        if RuntimeConfiguration.threads >= 2 { #expect(try plan.stageCut(batch: 9) != nil, "\(model)") }
        let staged = try plan.run([input.name: x])[graph.outputs[0]]!
        var fixed = graph
        fixed.inputs[0].type.shape.dims[0] = .known(9)
        let whole = try Planner.compile(fixed).run([input.name: x])[graph.outputs[0]]!
        #expect(staged.shape == whole.shape)
        #expect(mismatch(staged.scalars, whole.scalars, .kernel) == nil, "\(model)")
    }
}
