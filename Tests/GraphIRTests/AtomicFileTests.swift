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

    /// The check reads the complete temporary file before the rename; a check that throws
    /// leaves the old output and no temporary, and its error comes out as it is, not through
    /// `failure` (which is for the writer's own and the rename's errors).
    @Test func checkSeesTheWholeFileBeforeTheRenameAndAFailedCheckWritesNothing() throws {
        let output = folder.appendingPathComponent("model.onnx")
        try Data("old".utf8).write(to: output)
        struct Rejected: Error {}
        struct Wrapped: Error {}
        var seen: [String] = []
        #expect(throws: Rejected.self) {
            try AtomicFile.write(to: output, checkedBy: { temporary in
                seen = [temporary.lastPathComponent, try String(contentsOf: temporary, encoding: .utf8),
                        try String(contentsOf: output, encoding: .utf8)]
                throw Rejected()
            }, { temporary in try AtomicFile.writeNew(Data("new model".utf8), to: temporary) }, failure: { _ in Wrapped() })
        }
        #expect(seen.count == 3 && seen[0].hasPrefix(".model.onnx.") && seen[0].hasSuffix(".tmp"))
        #expect(Array(seen.dropFirst()) == ["new model", "old"], "the check must see the new file while the old one is in place")
        #expect(try String(contentsOf: output, encoding: .utf8) == "old")
        #expect(try leftovers().isEmpty)

        try AtomicFile.write(to: output, checkedBy: { _ in }, { temporary in
            try AtomicFile.writeNew(Data("new model".utf8), to: temporary)
        }, failure: { _ in Wrapped() })
        #expect(try String(contentsOf: output, encoding: .utf8) == "new model")
        #expect(try leftovers().isEmpty)
        #expect(throws: Wrapped.self) {
            try AtomicFile.write(to: folder.appendingPathComponent("missing/out.onnx"), checkedBy: { _ in },
                                 { temporary in try AtomicFile.writeNew(Data("x".utf8), to: temporary) },
                                 failure: { _ in Wrapped() })
        }
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
