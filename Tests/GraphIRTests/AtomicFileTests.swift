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

    /// What a SIGKILL leaves: the next write of the same output removes the temporaries of
    /// writers that are gone, and keeps a live writer's, other outputs' and other names.
    @Test func writeRemovesStaleTemporariesOfDeadWritersOnly() throws {
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = gone.processIdentifier, live = ProcessInfo.processInfo.processIdentifier
        let stale = ".model.onnx.\(dead).\(UUID().uuidString).tmp"
        let kept = [".model.onnx.\(live).\(UUID().uuidString).tmp", ".other.onnx.\(dead).\(UUID().uuidString).tmp",
                    ".model.onnx.\(dead).not-a-uuid.tmp", ".model.onnx.x\(dead).\(UUID().uuidString).tmp"]
        for name in [stale] + kept { try Data("partial".utf8).write(to: folder.appendingPathComponent(name)) }

        try AtomicFile.write(Data("new model".utf8), to: folder.appendingPathComponent("model.onnx"))

        #expect(try leftovers().sorted() == kept.sorted())
        #expect(try String(contentsOf: folder.appendingPathComponent("model.onnx"), encoding: .utf8) == "new model")
    }

    @Test func unwritableFolderThrowsAndLeavesNothing() throws {
        let output = folder.appendingPathComponent("missing/sub/out.onnx")
        #expect(throws: (any Error).self) { try AtomicFile.write(Data("x".utf8), to: output) }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
