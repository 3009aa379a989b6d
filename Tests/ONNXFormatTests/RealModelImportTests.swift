import Foundation
import Testing
import GraphIR
import TensorCore
@testable import ONNXFormat
import TestSupport

/// The real third-party models import completely. Missing files fail (never skip).
@Suite("ONNXImporter on real models")
struct RealModelImportTests {
    @Test func efficientNetLite0ImportsWithItsParameterCount() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
        #expect(parameterCount(graph) == 4_631_000)
        #expect(graph.metadata.sourceFormat == "onnx")
        #expect(graph.metadata.producer == "pytorch 1.13.0")

        let gemm = try #require(graph.nodes.first { $0.name == "/_fc/Gemm" })
        guard case .gemm(let attributes) = gemm.op else { Issue.record("\(gemm.op) is not gemm"); return }
        #expect(attributes.transB)
        #expect(graph.constant(gemm.inputs[1])?.shape == [1000, 1280])

        let input = try #require(graph.inputs.first)
        #expect(input.name == "input")
        #expect(input.type == ValueType(.float32, Shape([.symbol("batch"), .known(3), .known(224), .known(224)])))
        #expect(graph.outputs == ["logits"])
    }

    @Test func efficientNetConstantNodesBecomeConstantsNotNodes() throws {
        let file = try ONNXReader.read(url: try Fixtures.realModel(.efficientNetLite0))
        let constantNodes = Set(file.graph.nodes.filter { $0.opType == "Constant" }.map(\.name))
        #expect(constantNodes.count == 222)
        let graph = try ONNXImporter.makeGraph(from: file)
        #expect(!graph.nodes.contains { constantNodes.contains($0.name) })
        let constants = graph.parameters.values.filter { $0.role == .constant }
        #expect(!constants.isEmpty)
        #expect(constants.allSatisfy { !$0.countsAsParameter && !$0.trainable })
        #expect(graph.nodes.count == 49 + 35 + 33 + 18 + 17 * 5 + 9 + 1 + 1 + 1 + 1 + 1)
    }

    @Test func efficientNetClipBoundsAreFoldedFromConstantInputs() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
        let clips = graph.nodes.filter { if case .clip = $0.op { true } else { false } }
        #expect(clips.count == 33)
        #expect(clips.allSatisfy { $0.op == .clip(min: 0, max: 6) && $0.inputs.count == 1 })
    }

    @Test func everyNodeInputIsDefined() throws {
        for model in [RealModel.efficientNetLite0, .openNSFW] {
            let graph = try ONNXImporter.load(url: try Fixtures.realModel(model))
            var defined = Set(graph.inputs.map(\.name)).union(graph.parameters.keys)
            for node in graph.nodes {
                for input in node.inputs where !input.isEmpty {
                    #expect(defined.contains(input), "\(model): \(node.name) reads undefined \(input)")
                }
                defined.formUnion(node.outputs)
            }
            #expect(graph.outputs.allSatisfy(defined.contains))
        }
    }

    @Test func openNSFWImportsWithItsParameterCountAndEndsInSoftmax() throws {
        let graph = try ONNXImporter.load(url: try Fixtures.realModel(.openNSFW))
        #expect(parameterCount(graph) == 5_929_282)
        #expect(graph.nodes.last?.op == .softmax(axis: 1) || graph.nodes.last?.op == .softmax(axis: -1))
        let input = try #require(graph.inputs.first)
        #expect(input.type.shape == Shape([.symbol("batch"), .known(224), .known(224), .known(3)]))
    }

    @Test func listWeightsListsEveryInitializer() throws {
        let weights = try ONNXImporter.listWeights(url: try Fixtures.realModel(.efficientNetLite0))
        #expect(weights.count == 100)
        #expect(weights.reduce(0) { $0 + $1.elementCount } == 4_631_000)
        let fc = try #require(weights.first { $0.shape == [1000, 1280] })
        #expect(fc.layer == "/_fc/Gemm")
    }
}

/// Elements of all parameters that count (weights and statistics, floating point).
func parameterCount(_ graph: Graph) -> Int {
    graph.parameters.values.filter(\.countsAsParameter).reduce(0) { $0 + $1.tensor.elementCount }
}
