import Foundation
import Testing
@testable import ONNXFormat
import TestSupport

/// Ways a file can be broken. Each must throw an `ONNXImportError` of the
/// stated case whose message names the file — never crash.
enum Corruption: CustomTestStringConvertible, Sendable {
    case emptyFile
    case randomBytes
    case truncated(RealModel, percent: Int)
    case irVersionZero
    case noGraph
    case noOpsetImport
    case tensorLargerThanItsBytes
    case negativeDimension
    case tensorElementCountOverflows
    case inputShapeOverflows
    case unsupportedOps
    case unsupportedOpset
    case nonConstantClipBound
    case externalFileMissing
    case externalLocationEscapes
    case externalAbsoluteLocation
    case externalSymlinkOutsideFolder
    case externalRangeBeyondFileEnd
    case externalDataWithoutFolder

    static let all: [Corruption] = [
        .emptyFile, .randomBytes,
        .truncated(.efficientNetLite0, percent: 10), .truncated(.efficientNetLite0, percent: 50),
        .truncated(.efficientNetLite0, percent: 99),
        .truncated(.openNSFW, percent: 10), .truncated(.openNSFW, percent: 50), .truncated(.openNSFW, percent: 99),
        .irVersionZero, .noGraph, .noOpsetImport, .tensorLargerThanItsBytes, .negativeDimension,
        .tensorElementCountOverflows, .inputShapeOverflows,
        .unsupportedOps, .unsupportedOpset, .nonConstantClipBound,
        .externalFileMissing, .externalLocationEscapes, .externalAbsoluteLocation,
        .externalSymlinkOutsideFolder, .externalRangeBeyondFileEnd, .externalDataWithoutFolder,
    ]

    var testDescription: String {
        if case let .truncated(model, percent) = self { return "\(model) truncated at \(percent)%" }
        return "\(self)"
    }

    /// The `ONNXImportError` case this corruption must produce.
    var expectedError: String {
        switch self {
        case .emptyFile, .randomBytes, .truncated, .irVersionZero, .noGraph, .noOpsetImport: "notAModel"
        case .tensorLargerThanItsBytes: "tensorSizeMismatch"
        case .negativeDimension, .tensorElementCountOverflows, .inputShapeOverflows: "invalidShape"
        case .unsupportedOps: "unsupportedOps"
        case .unsupportedOpset: "unsupportedOpset"
        case .nonConstantClipBound: "nonConstantInput"
        case .externalFileMissing, .externalDataWithoutFolder: "externalDataMissing"
        case .externalLocationEscapes, .externalAbsoluteLocation, .externalSymlinkOutsideFolder: "externalDataOutsideFolder"
        case .externalRangeBeyondFileEnd: "externalDataOutOfRange"
        }
    }

    /// The file name the error message must mention.
    var fileName: String {
        if case let .truncated(model, _) = self { return "truncated-\(model.url.lastPathComponent)" }
        return "\(self).onnx"
    }

    /// Reads the corrupt model (from memory, or from a temporary folder for external data) and imports it.
    func load(in folder: URL) throws {
        let model: ONNXModelFile
        switch self {
        case .externalFileMissing, .externalLocationEscapes, .externalAbsoluteLocation,
             .externalSymlinkOutsideFolder, .externalRangeBeyondFileEnd:
            let url = folder.appendingPathComponent(fileName)
            try externalSetup(in: folder).write(to: url)
            model = try ONNXReader.read(url: url)
        default:
            model = try ONNXReader.read(bytes: try bytes(), name: fileName)
        }
        _ = try ONNXImporter.makeGraph(from: model)
    }

    private func bytes() throws -> Data {
        let w = TestModel.TensorSpec.self
        let node = TestModel.NodeSpec.self
        switch self {
        case .emptyFile:
            return Data()
        case .randomBytes:
            var generator = SeededGenerator(seed: 42)
            return Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case let .truncated(real, percent):
            let data = try Data(contentsOf: try Fixtures.realModel(real), options: .alwaysMapped)
            return data.prefix(data.count * percent / 100)
        case .irVersionZero:
            return TestModel.model(irVersion: 0, nodes: [node.init(opType: "Relu", name: "r", inputs: ["x"], outputs: ["y"])])
        case .noGraph:
            return TestModel.model(includeGraph: false)
        case .noOpsetImport:
            return TestModel.model(opset: nil, nodes: [node.init(opType: "Relu", name: "r", inputs: ["x"], outputs: ["y"])])
        case .tensorLargerThanItsBytes:
            // dims say 4x4 floats (64 bytes), raw_data holds 60.
            return TestModel.model(nodes: [node.init(opType: "MatMul", name: "mm", inputs: ["x", "w"], outputs: ["y"])],
                                   initializers: [w.init(name: "w", dims: [4, 4], raw: Array(repeating: 0, count: 60))])
        case .negativeDimension:
            return TestModel.model(initializers: [w.init(name: "w", dims: [4, -4], raw: Array(repeating: 0, count: 64))])
        case .tensorElementCountOverflows:
            // 2^62 elements declared, none stored: refused before anything is allocated.
            return TestModel.model(initializers: [w.init(name: "w", dims: [1 << 31, 1 << 31], raw: [])])
        case .inputShapeOverflows:
            // A graph input whose declared shape has more elements than any buffer could hold.
            return TestModel.model(nodes: [node.init(opType: "Relu", name: "r", inputs: ["x"], outputs: ["y"])],
                                   input: ("x", [1 << 40, 1 << 40, 3]))
        case .unsupportedOps:
            return TestModel.model(nodes: [
                node.init(opType: "LSTM", name: "lstm_1", inputs: ["x"], outputs: ["h"]),
                node.init(opType: "Relu", name: "relu", inputs: ["h"], outputs: ["r"]),
                node.init(opType: "Einsum", name: "einsum_1", inputs: ["r"], outputs: ["y"]),
            ])
        case .unsupportedOpset:
            return TestModel.model(opset: 6, nodes: [node.init(opType: "Relu", name: "r", inputs: ["x"], outputs: ["y"])])
        case .nonConstantClipBound:
            return TestModel.model(nodes: [
                node.init(opType: "Relu", name: "bound", inputs: ["x"], outputs: ["b"]),
                node.init(opType: "Clip", name: "clip", inputs: ["x", "b"], outputs: ["y"]),
            ])
        case .externalDataWithoutFolder:
            return TestModel.externalGemm(location: "weights.bin")
        default:
            preconditionFailure("\(self) is built in a folder")
        }
    }

    /// Writes what the external-data cases need next to the model; returns the model bytes.
    private func externalSetup(in folder: URL) throws -> Data {
        let sixtyFourBytes = Data(repeating: 0, count: 64)
        switch self {
        case .externalFileMissing:
            return TestModel.externalGemm(location: "weights.bin")
        case .externalLocationEscapes:
            return TestModel.externalGemm(location: "../../etc/passwd")
        case .externalAbsoluteLocation:
            return TestModel.externalGemm(location: "/etc/passwd")
        case .externalSymlinkOutsideFolder:
            let outside = folder.deletingLastPathComponent().appendingPathComponent("outside-\(UUID().uuidString).bin")
            try sixtyFourBytes.write(to: outside)
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("linked.bin"),
                                                       withDestinationURL: outside)
            return TestModel.externalGemm(location: "linked.bin")
        case .externalRangeBeyondFileEnd:
            try sixtyFourBytes.write(to: folder.appendingPathComponent("weights.bin"))
            return TestModel.externalGemm(location: "weights.bin", offset: 32, length: 64)
        default:
            preconditionFailure("\(self) is built in memory")
        }
    }
}


extension ONNXImportError {
    /// The case's name, e.g. `notAModel`.
    var caseName: String {
        Mirror(reflecting: self).children.first?.label ?? "\(self)"
    }
}

@Suite("Corrupt ONNX files")
struct CorruptFileTests {
    @Test(arguments: Corruption.all)
    func corruptModelThrowsAndNamesTheFile(_ corruption: Corruption) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let error = try #require(throws: ONNXImportError.self) { try corruption.load(in: folder) }
        #expect(error.caseName == corruption.expectedError, "\(error)")
        #expect(error.description.contains(corruption.fileName), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    @Test func unsupportedOpsAreAllListedInOneError() throws {
        let folder = FileManager.default.temporaryDirectory
        let error = try #require(throws: ONNXImportError.self) { try Corruption.unsupportedOps.load(in: folder) }
        guard case let .unsupportedOps(_, ops) = error else { Issue.record("\(error)"); return }
        #expect(ops == [UnsupportedONNXOp(opType: "LSTM", domain: "", node: "lstm_1", opset: 13),
                        UnsupportedONNXOp(opType: "Einsum", domain: "", node: "einsum_1", opset: 13)])
        #expect(error.description.contains("LSTM \"lstm_1\" (opset 13), Einsum \"einsum_1\" (opset 13)"))
    }

    @Test func validHandBuiltModelImports() throws {
        let graph = try ONNXImporter.makeGraph(from: ONNXReader.read(bytes: TestModel.relu, name: "relu.onnx"))
        #expect(graph.nodes.map(\.op) == [.relu])
    }

    @Test func externalDataInsideTheFolderIsRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let floats: [Float] = (0..<16).map(Float.init)
        try floats.withUnsafeBytes { Data($0) }.write(to: folder.appendingPathComponent("data/w.bin"))
        let url = folder.appendingPathComponent("m.onnx")
        try TestModel.externalGemm(location: "data/w.bin").write(to: url)
        let graph = try ONNXImporter.load(url: url)
        #expect(graph.constant("w")?.scalars == floats)
    }
}
