import Foundation
import Testing
import GraphIR
import TensorCore
@testable import ONNXFormat
import TestSupport

/// Imported graphs pass GraphIR's verifier (defined values, shapes consistent
/// through shape inference), so the importer's translations agree with the IR.
@Suite("Imported graphs verify")
struct VerifierTests {
    @Test(arguments: fixtureNames)
    func fixtureGraphVerifies(_ name: String) throws {
        try GraphVerifier.verify(try importFixture(name))
    }

    @Test(arguments: [RealModel.efficientNetLite0, .openNSFW])
    func realGraphVerifies(_ model: RealModel) throws {
        var graph = try ONNXImporter.load(url: try Fixtures.realModel(model))
        try GraphVerifier.verify(graph)
        try ShapeInference.infer(&graph)
        let output = try #require(graph.outputs.first)
        let expected: Shape = model == .efficientNetLite0 ? Shape([.symbol("batch"), 1000]) : Shape([.symbol("batch"), 2])
        #expect(graph.valueTypes[output]?.shape == expected)
    }

    @Test func nodesOutOfOrderAreSorted() throws {
        let bytes = TestModel.model(nodes: [
            .init(opType: "Relu", name: "second", inputs: ["h"], outputs: ["y"]),
            .init(opType: "Sigmoid", name: "first", inputs: ["x"], outputs: ["h"]),
        ])
        let graph = try ONNXImporter.makeGraph(from: ONNXReader.read(bytes: bytes, name: "unordered.onnx"))
        #expect(graph.nodes.map(\.name) == ["first", "second"])
    }

    @Test func undefinedInputIsAnInvalidGraph() throws {
        let bytes = TestModel.model(nodes: [.init(opType: "Relu", name: "r", inputs: ["nowhere"], outputs: ["y"])])
        let error = try #require(throws: ONNXImportError.self) {
            try ONNXImporter.makeGraph(from: ONNXReader.read(bytes: bytes, name: "dangling.onnx"))
        }
        #expect(error.caseName == "invalidGraph")
        #expect(error.description.contains("dangling.onnx"))
    }
}
