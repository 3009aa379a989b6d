import Foundation
import GraphIR
import KerasFormat
import TensorCore
import TestSupport
import Testing

/// The small generated models in Models/keras-layers against what Keras
/// itself reported when it wrote them (expected.json).
@Suite struct FixtureModelTests {
    static let folder = Fixtures.repoFile("Models/keras-layers")

    static func expected(_ file: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let files = try #require(root["files"] as? [String: Any])
        return try #require(files[file] as? [String: Any], "expected.json has no entry for \(file)")
    }

    static func load(_ file: String) throws -> Graph {
        let url = folder.appendingPathComponent(file)
        if file.hasSuffix(".weights.h5") {
            return try KerasImporter.load(url: url, config: folder.appendingPathComponent("sequential.config.json"))
        }
        return try KerasImporter.load(url: url)
    }

    static let files = ["functional_legacy.h5", "nested_legacy.h5", "nested.keras", "sequential.weights.h5", "keras2_sequential.h5"]

    @Test(arguments: files)
    func parameterCountsEqualKeras(_ file: String) throws {
        let graph = try Self.load(file)
        let expected = try Self.expected(file)
        let counted = graph.parameters.values.filter(\.countsAsParameter)
        let total = counted.reduce(0) { $0 + $1.tensor.elementCount }
        let trainable = counted.filter(\.trainable).reduce(0) { $0 + $1.tensor.elementCount }
        #expect(total == expected["count_params"] as? Int)
        #expect(trainable == expected["trainable_params"] as? Int)
        #expect(total - trainable == expected["non_trainable_params"] as? Int)
    }

    @Test(arguments: files)
    func everyLayerBecomesNodesAndTheOutputShapeMatches(_ file: String) throws {
        let graph = try Self.load(file)
        let expected = try Self.expected(file)
        let layers = Set(graph.nodes.compactMap(\.layer))
        for path in leafLayerPaths(expected["layers"] as? [[String: Any]] ?? [], prefix: nil) {
            #expect(layers.contains(path), "no node for layer \(path)")
        }
        let kerasShape = (expected["output_shape"] as? [Int] ?? []).map(Optional.some)
        #expect(graph.outputs.count == 1)
        #expect(graph.type(of: graph.outputs[0])?.shape == Shape([.symbol("batch")] + kerasShape.map { .known($0!) }))
    }

    @Test func functionalModelUsesEveryLayerClass() throws {
        let graph = try Self.load("functional_legacy.h5")
        let ops = Set(graph.nodes.map(\.op.name))
        for op in ["mul", "add", "conv2d", "batch_norm", "relu", "relu6", "conv2d(g=8)", "swish", "pad", "hard_sigmoid",
                   "sigmoid", "hard_swish", "concat", "average_pool", "max_pool", "global_average_pool", "transpose",
                   "flatten", "gemm", "dropout", "reshape", "identity", "softmax"] {
            #expect(ops.contains(op), "no \(op) node")
        }
        #expect(graph.inputs.map(\.type.shape) == [Shape([.symbol("batch"), .known(3), .known(12), .known(12)])])
    }

    @Test func sameConvolutionWithStrideTwoPadsAtTheEnd() throws {
        let graph = try Self.load("functional_legacy.h5")
        let conv = try #require(graph.nodes.first { $0.name == "conv_same_s2" })
        // 12 → 6 with a 3×3 kernel at stride 2: total pad 1, all of it at the end (TensorFlow).
        #expect(conv.op == .conv2d(Conv2DAttributes(kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1])))
        let pool = try #require(graph.nodes.first { $0.name == "max_pool_same" })
        guard case let .maxPool(attributes) = pool.op else { Issue.record("not a max pool"); return }
        // 6 → 3 with a 3×3 window at stride 2: total pad 1, at the end.
        #expect(attributes.pads == [0, 0, 1, 1])
    }

    @Test func nestedModelsAreInlinedWithPathNames() throws {
        let graph = try Self.load("nested.keras")
        #expect(graph.metadata.sourceFormat == "keras-zip")
        #expect(graph.parameters["backbone/conv/kernel"]?.tensor.shape == [4, 3, 3, 3])
        #expect(graph.parameters["backbone/conv/kernel"]?.trainable == false)
        #expect(graph.parameters["head/fc/kernel"]?.tensor.shape == [6, 64])
        #expect(graph.parameters["backbone/bn/moving_mean"]?.role == .statistic)
        let flatten = try #require(graph.nodes.first { $0.layer == "head/flatten" && $0.op == .flatten(axis: 1) })
        #expect(graph.nodes.first { $0.outputs == flatten.inputs }?.op == .transpose(perm: [0, 2, 3, 1]))
    }

    @Test func legacyAndZipFilesGiveTheSameWeights() throws {
        let legacy = try Self.load("nested_legacy.h5")
        let zip = try Self.load("nested.keras")
        #expect(Set(legacy.parameters.keys) == Set(zip.parameters.keys))
        for (name, parameter) in legacy.parameters {
            #expect(zip.parameters[name]?.tensor.scalars == parameter.tensor.scalars, "\(name)")
        }
    }

    @Test func keras2FileReadsColonNamedWeights() throws {
        let graph = try Self.load("keras2_sequential.h5")
        #expect(graph.metadata.producer.hasPrefix("keras 2."))
        #expect(graph.parameters["batch_normalization/moving_variance"]?.role == .statistic)
    }

    private func leafLayerPaths(_ layers: [[String: Any]], prefix: String?) -> [String] {
        layers.flatMap { layer -> [String] in
            let name = layer["name"] as? String ?? ""
            let path = prefix.map { "\($0)/\(name)" } ?? name
            if let inner = layer["layers"] as? [[String: Any]] { return leafLayerPaths(inner, prefix: path) }
            return layer["class"] as? String == "InputLayer" ? [] : [path]
        }
    }
}
