import Foundation
import GraphIR
import KerasFormat
import ONNXFormat
import Runtime
import Surgery
import TensorCore
import Testing
import TestSupport

/// Cut, attached and frozen variants of the real models, exported and run by the
/// reference tools (Tests/References/check_surgery_export.py): onnxruntime (plus
/// `onnx.checker` full check) and Keras must give Graft's runtime output.

private enum Variant: String, CaseIterable {
    case cut, attachBinary, attachClassesFrozen

    func apply(to graph: inout Graph) throws {
        switch self {
        case .cut: try CutGraph().apply(to: &graph)
        case .attachBinary: try GraftHead(HeadSpec(kind: .binary(softmax: false), seed: 1)).apply(to: &graph)
        case .attachClassesFrozen:
            try GraftHead(HeadSpec(kind: .classes(4), hidden: 32, dropout: 0.2, seed: 2)).apply(to: &graph)
            try Freeze(.trainLastBlocks(1)).apply(to: &graph)
        }
    }
}

/// Writes `tensor` as a little-endian float32 `.npy` file.
private func writeNPY(_ tensor: Tensor, to url: URL) throws {
    let shape = tensor.shape.map(String.init).joined(separator: ", ") + (tensor.shape.count == 1 ? "," : "")
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape)), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
    data.append(Data(header.utf8))
    tensor.scalars.withUnsafeBytes { data.append(contentsOf: $0) }
    try data.write(to: url)
}

private struct Result: Decodable {
    var checker: String?
    var loaded: String?
    var max_abs_diff: Double?
    var scale: Double?
}

/// Exports every variant of `model` as `ext`, runs Graft on each, then the script on all.
private func check(_ model: RealModel, ext: String, variants: [Variant]) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-surgery-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var arguments: [String] = []
    for variant in variants {
        var g = try loadRealModel(model)
        try variant.apply(to: &g)
        let file = dir.appendingPathComponent("\(model)-\(variant).\(ext)")
        if ext == "onnx" { try ONNXWriter.write(g, to: file) } else { try KerasH5Writer.write(g, to: file) }
        let inputs = seededInputs(for: g, batch: 2, seed: 11)
        let output = try #require(try Planner.compile(g).run(inputs)[g.outputs[0]])
        let x = dir.appendingPathComponent("\(variant)-x.npy"), y = dir.appendingPathComponent("\(variant)-y.npy")
        try writeNPY(inputs[g.inputs[0].name]!, to: x)
        try writeNPY(output, to: y)
        arguments += [file.path, x.path, y.path]
    }
    let json = try ReferencePython.run("Tests/References/check_surgery_export.py", arguments)
    let results = try JSONDecoder().decode([String: Result].self, from: Data(json.utf8))
    for (file, r) in results {
        let name = URL(fileURLWithPath: file).lastPathComponent
        if ext == "onnx" { #expect(r.checker == "ok", "\(name): \(r.checker ?? "-")") } else { #expect(r.loaded == "ok", "\(name): \(r.loaded ?? "-")") }
        let diff = try #require(r.max_abs_diff, "\(name): no output"), scale = max(r.scale ?? 1, 1)
        #expect(diff <= 1e-5 * scale, "\(name): max |Δ| \(diff) at scale \(scale)")
    }
    #expect(results.count == variants.count)
}

@Test(arguments: [RealModel.efficientNetLite0, .openNSFW, .labdogMobileNetV2])
func onnxRuntimeAgreesWithGraftOnSurgeryExports(_ model: RealModel) throws {
    try check(model, ext: "onnx", variants: Variant.allCases)
}

@Test func kerasAgreesWithGraftOnLabdogCutAndAttachExports() throws {
    try check(.labdogMobileNetV2, ext: "h5", variants: Variant.allCases)
}
