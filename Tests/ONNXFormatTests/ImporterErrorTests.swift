import Foundation
import Testing
import GraphIR
import TensorCore
@testable import ONNXFormat
import TestSupport

/// Import errors for valid files that use op variants Graft refuses, and the
/// import rules that hand-built models show most directly.
@Suite("Importer refusals and rules")
struct ImporterErrorTests {
    typealias N = TestModel.NodeSpec

    private func importing(_ nodes: [N], opset: Int64 = 13, input: [Int64] = [1, 4],
                           initializers: [TestModel.TensorSpec] = [], outputs: [String] = ["y"]) throws -> Graph {
        let bytes = TestModel.model(opset: opset, nodes: nodes, initializers: initializers,
                                    input: ("x", input), outputs: outputs)
        return try ONNXImporter.makeGraph(from: ONNXReader.read(bytes: bytes, name: "case.onnx"))
    }

    private func refusal(_ nodes: [N], opset: Int64 = 13, input: [Int64] = [1, 4],
                         initializers: [TestModel.TensorSpec] = [], outputs: [String] = ["y"]) throws -> ONNXImportError {
        try #require(throws: ONNXImportError.self) {
            try importing(nodes, opset: opset, input: input, initializers: initializers, outputs: outputs)
        }
    }

    @Test func oldSoftmaxOnTheLastAxisIsAPerAxisSoftmax() throws {
        let g = try importing([N(opType: "Softmax", name: "sm", inputs: ["x"], outputs: ["y"], attributes: [.int("axis", 1)])],
                              opset: 11)
        #expect(g.nodes[0].op == .softmax(axis: -1))
    }

    @Test func oldSoftmaxOverSeveralAxesIsRefused() throws {
        let error = try refusal([N(opType: "Softmax", name: "sm", inputs: ["x"], outputs: ["y"], attributes: [.int("axis", 1)])],
                                opset: 11, input: [1, 2, 3, 4])
        #expect(error.caseName == "invalidNode")
        #expect(error.description.contains("opset 13"))
    }

    @Test func oneDimensionalConvIsRefused() throws {
        let error = try refusal([N(opType: "Conv", name: "c", inputs: ["x", "w"], outputs: ["y"], attributes: [.ints("kernel_shape", [3])])],
                                initializers: [.init(name: "w", dims: [2, 4, 3], raw: Array(repeating: 0, count: 96))])
        #expect(error.caseName == "invalidNode")
    }

    @Test func attributeOfTheWrongTypeIsNamed() throws {
        let error = try refusal([N(opType: "Gemm", name: "fc", inputs: ["x", "x"], outputs: ["y"], attributes: [.string("alpha", "one")])])
        guard case let .invalidAttribute(_, node, opType, attribute, _) = error else { Issue.record("\(error)"); return }
        #expect([node, opType, attribute] == ["fc", "Gemm", "alpha"])
    }

    @Test func stringConstantIsRefused() throws {
        let error = try refusal([N(opType: "Constant", name: "k", inputs: [], outputs: ["y"], attributes: [.string("value_string", "hi")])])
        #expect(error.caseName == "invalidAttribute")
    }

    @Test func constantIntsBecomeAConstantParameter() throws {
        let g = try importing([N(opType: "Constant", name: "k", inputs: [], outputs: ["shape"], attributes: [.ints("value_ints", [1, 4])]),
                               N(opType: "Reshape", name: "r", inputs: ["x", "shape"], outputs: ["y"])])
        #expect(g.parameters["shape"]?.role == .constant)
        #expect(g.parameters["shape"]?.tensor.int64s == [1, 4])
        #expect(g.nodes.map(\.name) == ["r"])
    }

    @Test func customDomainNodesAreListedWithTheirDomain() throws {
        let error = try refusal([N(opType: "FusedConv", name: "f", inputs: ["x"], outputs: ["y"], domain: "com.microsoft")])
        guard case let .unsupportedOps(_, ops) = error else { Issue.record("\(error)"); return }
        #expect(ops.map(\.description) == ["com.microsoft.FusedConv \"f\" (opset 0)"])
    }

    @Test func wrapPaddingIsRefused() throws {
        let error = try refusal([N(opType: "Pad", name: "p", inputs: ["x", "pads"], outputs: ["y"], attributes: [.string("mode", "wrap")])],
                                opset: 19, initializers: [.init(name: "pads", dims: [4], dataType: 7, raw: Array(repeating: 0, count: 32))])
        #expect(error.caseName == "invalidAttribute")
    }

    @Test func dropoutMaskInUseIsRefused() throws {
        let error = try refusal([N(opType: "Dropout", name: "d", inputs: ["x"], outputs: ["h", "mask"]),
                                 N(opType: "Cast", name: "c", inputs: ["mask"], outputs: ["y"], attributes: [.int("to", 1)])])
        #expect(error.caseName == "invalidNode")
        #expect(error.description.contains("mask"))
    }

    /// Found by ONNX's `test_training_dropout`: training mode used to import as identity.
    @Test func trainingModeDropoutIsRefused() throws {
        let ratio: [Float] = [0.5]
        let error = try refusal([N(opType: "Dropout", name: "d", inputs: ["x", "r", "t"], outputs: ["y"])],
                                initializers: [.init(name: "r", dims: [], raw: ratio.withUnsafeBytes { Array($0) }),
                                               .init(name: "t", dims: [], dataType: 9, raw: [1])])
        #expect(error.caseName == "invalidNode")
        #expect(error.description.contains("training mode"))
    }

    @Test func trainingModeDropoutWithRatioZeroIsKept() throws {
        let ratio: [Float] = [0]
        let g = try importing([N(opType: "Dropout", name: "d", inputs: ["x", "r", "t"], outputs: ["y"])],
                              initializers: [.init(name: "r", dims: [], raw: ratio.withUnsafeBytes { Array($0) }),
                                             .init(name: "t", dims: [], dataType: 9, raw: [1])])
        #expect(g.nodes[0].op == .dropout(ratio: 0))
    }

    @Test func duplicateAndEmptyNodeNamesAreMadeUnique() throws {
        let g = try importing([N(opType: "Relu", name: "dup", inputs: ["x"], outputs: ["a"]),
                               N(opType: "Relu", name: "dup", inputs: ["a"], outputs: ["b"]),
                               N(opType: "Relu", name: "", inputs: ["b"], outputs: ["y"])])
        #expect(g.nodes.map(\.name) == ["dup", "Relu_0", "Relu_1"])
    }

    @Test func initializersThatAreGraphInputsAreNotInputs() throws {
        let bytes = TestModel.model(nodes: [N(opType: "Add", name: "add", inputs: ["x", "x"], outputs: ["y"])],
                                    initializers: [.init(name: "x", dims: [1, 4], raw: Array(repeating: 0, count: 16))])
        let g = try ONNXImporter.makeGraph(from: ONNXReader.read(bytes: bytes, name: "old-ir.onnx"))
        #expect(g.inputs.isEmpty)
        #expect(g.parameters["x"]?.role == .weight)
    }

    @Test func weightsAreListedEvenWhenOpsAreUnsupported() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("lstm.onnx")
        try TestModel.model(nodes: [N(opType: "LSTM", name: "lstm", inputs: ["x", "W"], outputs: ["y"])],
                            initializers: [.init(name: "W", dims: [1, 8, 4], raw: Array(repeating: 0, count: 128))]).write(to: url)
        #expect(throws: ONNXImportError.self) { try ONNXImporter.load(url: url) }
        #expect(try ONNXImporter.listWeights(url: url) == [WeightEntry(name: "W", layer: "lstm", dtype: .float32, shape: [1, 8, 4])])
    }
}
