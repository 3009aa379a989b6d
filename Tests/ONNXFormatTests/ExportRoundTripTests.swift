import Foundation
import Testing
import TestSupport
import GraphIR
import TensorCore
@testable import ONNXFormat

/// The ONNX writer, checked two ways: through our own reader (structure, weights,
/// metadata survive bit for bit) and through the reference tools (the ONNX checker
/// accepts the file and onnxruntime computes the same outputs as from the original).

private let fixtures = ["conv_block.onnx", "shape_ops.onnx", "legacy_opset9.onnx", "opset18.onnx"]

private func originals() throws -> [URL] {
    try [Fixtures.realModel(.efficientNetLite0), Fixtures.realModel(.openNSFW)]
        + fixtures.map { Fixtures.repoFile("Models/onnx-ops/\($0)") }
}

private func roundTrip(_ graph: Graph) throws -> Graph {
    let bytes = try ONNXWriter.encode(graph)
    return try ONNXImporter.makeGraph(from: try ONNXReader.read(bytes: Data(bytes), name: "\(graph.name).onnx"))
}

@Test(arguments: try originals())
func exportReadsBackWithTheSameOpsAndWeights(_ url: URL) throws {
    let graph = try ONNXImporter.load(url: url)
    let back = try roundTrip(graph)
    #expect(back.nodes.map(\.op) == graph.nodes.map(\.op))
    #expect(back.nodes.map(\.inputs) == graph.nodes.map(\.inputs))
    #expect(back.inputs == graph.inputs)
    #expect(back.outputs == graph.outputs)
    #expect(Set(back.parameters.keys) == Set(graph.parameters.keys))
    for (name, p) in graph.parameters {
        let q = try #require(back.parameters[name])
        #expect(q.role == p.role && q.trainable == p.trainable, "\(name)")
        #expect(q.tensor.shape == p.tensor.shape && q.tensor.dtype == p.tensor.dtype, "\(name)")
        #expect(Array(q.tensor.storage.bytes) == Array(p.tensor.storage.bytes), "\(name)")
    }
}

@Test func frozenFlagsPreprocessingAndClassNamesTravelInMetadata() throws {
    var graph = try ONNXImporter.load(url: Fixtures.repoFile("Models/onnx-ops/conv_block.onnx"))
    let frozen = graph.parameters.filter { $0.value.role == .weight }.keys.sorted().prefix(2)
    for name in frozen { graph.parameters[name]?.trainable = false }
    graph.metadata.classNames = ["cat", "dog"]
    graph.metadata.preprocessing = Preprocessing(size: [224, 224], mean: [127, 127, 127], std: [128, 128, 128])
    let back = try roundTrip(graph)
    #expect(back.parameters.filter { !$0.value.trainable && $0.value.role == .weight }.keys.sorted() == Array(frozen))
    #expect(back.metadata.classNames == ["cat", "dog"])
    #expect(back.metadata.preprocessing == graph.metadata.preprocessing)
    #expect(back.metadata.properties["purpose"] == "graft op coverage")
}

@Test func writingReplacesTheFileOnlyWhenComplete() throws {
    let graph = try ONNXImporter.load(url: Fixtures.repoFile("Models/onnx-ops/conv_block.onnx"))
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-export-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("out.onnx")
    try ONNXWriter.write(graph, to: url)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.onnx"])
    #expect(throws: ONNXExportError.self) {
        try ONNXWriter.write(graph, to: dir.appendingPathComponent("missing-folder/out.onnx"))
    }
}

@Test func onnxCheckerAcceptsExportsAndOnnxruntimeComputesTheSameOutputs() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-export-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var pairs: [String] = []
    for url in try originals() {
        let exported = dir.appendingPathComponent("exported-" + url.lastPathComponent)
        try ONNXWriter.write(try ONNXImporter.load(url: url), to: exported)
        pairs += [url.path, exported.path]
    }
    let output = try ReferencePython.run("Tests/References/check_onnx_export.py", pairs)
    let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]])
    #expect(report.count == pairs.count / 2)
    for (file, entry) in report {
        #expect(entry["checker"] as? String == "ok", "\(file): \(entry["checker"] ?? "?")")
        let diff = try #require(entry["max_abs_diff"] as? Double)
        let scale = try #require(entry["scale"] as? Double)
        #expect(diff <= 1e-5 * max(scale, 1), "\(file): max |Δ| \(diff) at scale \(scale)")
    }
}
