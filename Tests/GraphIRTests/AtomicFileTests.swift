import Foundation
import GraphIR
import Testing

/// `AtomicFile`: outputs appear complete or not at all, and never through a symlink.
@Suite("AtomicFile")
struct AtomicFileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
    }

    @Test func symlinkAtTheOutputIsReplacedNotWrittenThrough() throws {
        let victim = folder.appendingPathComponent("victim.txt")
        try Data("keep me".utf8).write(to: victim)
        let output = folder.appendingPathComponent("model.onnx")
        try FileManager.default.createSymbolicLink(at: output, withDestinationURL: victim)

        try AtomicFile.write(Data("new model".utf8), to: output)

        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep me")
        let attributes = try FileManager.default.attributesOfItem(atPath: output.path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect(try String(contentsOf: output, encoding: .utf8) == "new model")
        #expect(try leftovers().isEmpty)
    }

    @Test func failingWriterLeavesTheOldFileAndNoTemporary() throws {
        let output = folder.appendingPathComponent("report.json")
        try Data("old".utf8).write(to: output)
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try AtomicFile.write(to: output) { temporary in
                try Data("half".utf8).write(to: temporary)
                throw Boom()
            }
        }
        #expect(try String(contentsOf: output, encoding: .utf8) == "old")
        #expect(try leftovers().isEmpty)
    }

    @Test func unwritableFolderThrowsAndLeavesNothing() throws {
        let output = folder.appendingPathComponent("missing/sub/out.onnx")
        #expect(throws: (any Error).self) { try AtomicFile.write(Data("x".utf8), to: output) }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
