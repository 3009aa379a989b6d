import Foundation
import GraphIR
import Surgery
import Testing
import TestSupport

/// The three real models: node counts and op histograms after `Simplifier.simplify`,
/// every pass on its own leaves a verified graph, and outputs agree with the
/// original's on seeded inputs (the runtime executes both).
@Suite(.serialized) struct RealModelSimplifyTests {
    @Test func efficientNetLite0LosesItsPaddingSubgraphs() throws {
        let g = try loadRealModel(.efficientNetLite0)
        let (s, report) = try Simplifier.simplify(g)
        #expect(report.nodesBefore == 234)
        #expect(report.nodesAfter == 94)  // 234 - 17 × 8 padding nodes - 4 head shape nodes
        let allowed: Set<String> = ["conv2d", "relu6", "add", "global_average_pool", "reshape", "gemm"]
        #expect(s.nodes.allSatisfy { allowed.contains($0.op.name) || $0.op.name.hasPrefix("conv2d(g=") })
        #expect(report.opsAfter["reshape"] == 1)  // [batch, 1280, 1, 1] → [batch, 1280] before the Gemm
        #expect(report.parametersAfter == report.parametersBefore)  // no batch norm to fold
        #expect(report.parametersAfter == 4_631_000)
        #expect(s.nodes.allSatisfy { if case .conv2d(let a) = $0.op { a.autoPad == .explicit } else { true } })
        #expect(try relativeDifference(g, s, batch: 1) <= 1e-5)
    }

    @Test func openNSFWBecomesPlainNCHW() throws {
        let g = try loadRealModel(.openNSFW)
        let (s, report) = try Simplifier.simplify(g)
        #expect(report.nodesBefore == 805)
        #expect(report.opsBefore["transpose"] == 110 && report.opsBefore["cast"] == 309)
        #expect(report.nodesAfter == 124)
        // One transpose is left: the NHWC graph input to NCHW for the first conv.
        #expect(report.opsAfter == ["conv2d": 53, "relu": 49, "add": 17, "transpose": 1, "max_pool": 1,
                                    "reduce_mean": 1, "matmul": 1, "softmax": 1])
        #expect(try relativeDifference(g, s, batch: 1) <= 1e-5)
    }

    @Test func labdogMobileNetV2FoldsAllBatchNorms() throws {
        let g = try loadRealModel(.labdogMobileNetV2)
        let (s, report) = try Simplifier.simplify(g)
        #expect(report.nodesBefore == 158)
        #expect(report.nodesAfter == 101)  // 52 batch norms, 4 pads, 1 dropout
        #expect(report.opsAfter["batch_norm"] == nil && report.opsAfter["pad"] == nil)
        #expect(try relativeDifference(g, s, batch: 1) <= 1e-5)
    }

    @Test func labdogKeepsTrainableBatchNormsWithFoldTrainableOff() throws {
        // The saved model froze most of the backbone: only batch norms next to trainable
        // tensors must stay, and every trainable scalar must survive untouched.
        let g = try loadRealModel(.labdogMobileNetV2)
        let (s, report) = try Simplifier.simplify(g, foldTrainable: false)
        let trainableBatchNorms = g.nodes.filter { n in
            guard case .batchNorm = n.op, let conv = g.producer(of: n.inputs[0]) else { return false }
            return (n.inputs.dropFirst() + g.nodes[conv].inputs.dropFirst()).contains { g.parameters[$0]?.trainable == true }
        }
        #expect(trainableBatchNorms.count == 11)
        #expect(report.opsAfter["batch_norm"] == 11)
        #expect(trainableScalars(s) == trainableScalars(g))
        #expect(s.nodes.count == 158 - 41 - 4 - 1)
        #expect(try relativeDifference(g, s, batch: 1) <= 1e-5)
    }

    private func trainableScalars(_ g: Graph) -> [String: [Float]] {
        g.parameters.filter(\.value.trainable).mapValues(\.tensor.scalars)
    }

    @Test(arguments: [RealModel.efficientNetLite0, .openNSFW, .labdogMobileNetV2])
    func everyPassAloneLeavesAVerifiedGraph(_ model: RealModel) throws {
        let original = try loadRealModel(model)
        for pass in Simplifier.passes() {
            var g = original
            try g.sortTopologically()
            try ShapeInference.infer(&g)
            _ = try runPass(pass, on: &g)  // verifies
        }
    }
}
