import Foundation
import Testing
import TestSupport

/// Every bad file gets one line on stderr naming the file, exit status 1, and no crash or hang.

enum BadFile: CustomTestStringConvertible, Sendable {
    case empty(ext: String)
    case randomBytes(ext: String)
    case truncated(RealModel, fraction: Double)

    static let all: [BadFile] = [.empty(ext: "onnx"), .empty(ext: "h5"), .empty(ext: "keras"),
                                 .randomBytes(ext: "onnx"), .randomBytes(ext: "h5"), .randomBytes(ext: "keras")]
        + RealModel.allCases.flatMap { m in [0.1, 0.5, 0.99].map { BadFile.truncated(m, fraction: $0) } }

    var testDescription: String {
        switch self {
        case let .empty(ext): "empty .\(ext)"
        case let .randomBytes(ext): "random bytes .\(ext)"
        case let .truncated(m, f): "\(m) truncated at \(Int(f * 100))%"
        }
    }

    /// Writes the bad file into a fresh temporary folder and returns its path.
    func write() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        switch self {
        case let .empty(ext):
            let url = dir.appendingPathComponent("empty.\(ext)")
            try Data().write(to: url)
            return url.path
        case let .randomBytes(ext):
            let bytes = SeededGenerator.bytes(4096, seed: 20261129)
            let url = dir.appendingPathComponent("random.\(ext)")
            try Data(bytes).write(to: url)
            return url.path
        case let .truncated(model, fraction):
            let source = try Fixtures.realModel(model)
            let data = try Data(contentsOf: source)
            let url = dir.appendingPathComponent("truncated-" + source.lastPathComponent)
            try data.prefix(Int(Double(data.count) * fraction)).write(to: url)
            return url.path
        }
    }
}

@Test(arguments: BadFile.all)
func badModelFileGetsOneClearLine(_ bad: BadFile) throws {
    let path = try bad.write()
    defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
    let run = try runGraft(["inspect", path], timeout: 60)
    #expect(!run.crashed, "graft crashed: \(run.stderr)")
    #expect(run.status == 1)
    #expect(run.stdout.isEmpty)
    #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.hasPrefix("graft: error: "))
    #expect(run.stderr.contains(URL(fileURLWithPath: path).lastPathComponent))
}

/// The hand-made broken Keras files of `Formats/keras-h5/corrupt` (see its `generate.py`).
enum CorruptKerasFile {
    static var all: [String] {
        let folder = Fixtures.repoFile("Formats/keras-h5/corrupt")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".h5") || $0.hasSuffix(".keras") }.sorted()
    }
}

@Test func corruptKerasFilesAreCommitted() {
    #expect(CorruptKerasFile.all.count >= 10, "Formats/keras-h5/corrupt is missing")
}

/// Whatever failed — a libhdf5 call, a missing group, a weight's shape, the config —
/// the one line names the file's path. `--weights` reads less and may succeed.
@Test(arguments: CorruptKerasFile.all, [["inspect"], ["inspect", "--weights"]])
func corruptKerasFileErrorNamesTheFile(_ name: String, _ command: [String]) throws {
    let path = Fixtures.repoFile("Formats/keras-h5/corrupt/\(name)").path
    let run = try runGraft(command + [path], timeout: 90)
    #expect(!run.crashed, "graft crashed: \(run.stderr)")
    if command == ["inspect"] { #expect(run.status == 1, "stdout: \(run.stdout)") }
    guard run.status != 0 else { return }
    #expect(run.status == 1)
    #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.hasPrefix("graft: error: "))
    #expect(run.stderr.contains(path), "stderr: \(run.stderr)")
}

@Test(arguments: [["inspect", "/nonexistent/model.onnx"], ["inspect", "Package.swift"], ["inspect", "/tmp"]])
func badPathsGetOneClearLine(_ arguments: [String]) throws {
    let run = try runGraft(arguments)
    #expect(run.status == 1)
    #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.contains(arguments[1]))
}
