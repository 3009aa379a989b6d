import Foundation
import HDF5Support
import ONNXFormat
import Testing
import TestSupport
import Training

/// "Nothing lost" (issue #7): `graft train` is killed with SIGKILL at seeded random
/// moments — while it extracts features, fills the feature cache, trains and
/// checkpoints, exports, verifies and writes its reports. After every kill each
/// output that exists under its final name must be complete (the model imports,
/// the checkpoint decodes, the cache reads, the report parses); then `--resume`
/// (or a fresh run when no checkpoint was left) must finish and write the same
/// model as a run that was never interrupted.
@Test func killingTrainAtRandomMomentsNeverLeavesATruncatedOutput() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-kill-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try twelveDigits(in: dir)
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let common = ["--epochs", "30", "--batch-size", "3", "--hidden", "8", "--val-split", "0.34"]

    let whole = dir.appendingPathComponent("whole.onnx").path
    let start = Date()
    let reference = try runGraft(["train", model, data.path, "-o", whole, "--cache-dir", dir.appendingPathComponent("c0").path] + common,
                                 timeout: 300)
    try #require(reference.status == 0, "stderr: \(reference.stderr)")
    let runSeconds = Date().timeIntervalSince(start)

    let out = dir.appendingPathComponent("killed.onnx").path
    let cache = dir.appendingPathComponent("cache")
    var generator = SeededGenerator(seed: 7)
    var kills = 0
    for _ in 0..<12 {
        let resume = FileManager.default.fileExists(atPath: out + ".checkpoint")
        let arguments = ["train", model, data.path, "-o", out, "--cache-dir", cache.path] + common + (resume ? ["--resume"] : [])
        let delay = Double.random(in: 0.05...max(0.1, runSeconds * 1.1), using: &generator)
        if try runGraftKilled(arguments, after: delay) { kills += 1 }
        try expectCompleteOutputs(out: out, cache: cache)
    }
    #expect(kills >= 6, "only \(kills) of 12 runs were still running when killed")

    let resume = FileManager.default.fileExists(atPath: out + ".checkpoint")
    let last = try runGraft(["train", model, data.path, "-o", out, "--cache-dir", cache.path] + common + (resume ? ["--resume"] : []),
                            timeout: 300)
    #expect(last.status == 0, "stderr: \(last.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: whole)),
            "the model after kills and resumes differs from the uninterrupted one")
    #expect(!FileManager.default.fileExists(atPath: out + ".checkpoint"))
}

/// Starts `graft`, sends SIGKILL after `delay` seconds; true when it was still running then.
private func runGraftKilled(_ arguments: [String], after delay: Double) throws -> Bool {
    let process = Process()
    process.executableURL = graftExecutable
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(UInt32(delay * 1_000_000))
    let wasRunning = process.isRunning
    if wasRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return wasRunning && process.terminationReason == .uncaughtSignal
}

/// Every output under its final name is whole.
private func expectCompleteOutputs(out: String, cache: URL) throws {
    let files = FileManager.default
    if files.fileExists(atPath: out) {
        #expect(throws: Never.self, "\(out) is incomplete") { _ = try ONNXImporter.load(url: URL(fileURLWithPath: out)) }
    }
    if files.fileExists(atPath: out + ".checkpoint") {
        #expect(throws: Never.self, "the checkpoint is incomplete") {
            _ = try TrainingCheckpoint.read(from: URL(fileURLWithPath: out + ".checkpoint"))
        }
    }
    if files.fileExists(atPath: out + ".report.json") {
        #expect(throws: Never.self, "the report is incomplete") {
            _ = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + ".report.json")))
        }
    }
    if files.fileExists(atPath: out + ".report.svg") {
        let svg = try String(contentsOfFile: out + ".report.svg", encoding: .utf8)
        #expect(svg.contains("</svg>"), "the SVG report is incomplete")
    }
    for name in (try? files.contentsOfDirectory(atPath: cache.path)) ?? [] where name.hasSuffix(".h5") && !name.hasPrefix(".") {
        #expect(throws: Never.self, "feature cache \(name) is incomplete") {
            let root = try HDF5File.open(cache.appendingPathComponent(name)).root()
            _ = try root.dataset("features").readFloat32()
        }
    }
}

/// 6 images of 3 and 6 of 8 from digits-3v8 in `dir/data`.
func twelveDigits(in dir: URL) throws -> URL {
    let source = Fixtures.repoFile(".cache/datasets/digits-3v8")
    if !FileManager.default.fileExists(atPath: source.path) {
        _ = try ReferencePython.run("Models/datasets/make_digits.py", [Fixtures.repoFile(".cache/datasets").path])
    }
    let data = dir.appendingPathComponent("data")
    for (cls, files) in [("three", ["0003", "0013", "0023", "0045", "0059", "0060"]),
                         ("eight", ["0008", "0018", "0028", "0038", "0040", "0053"])] {
        let folder = data.appendingPathComponent(cls)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for f in files {
            try FileManager.default.copyItem(at: source.appendingPathComponent("\(cls)/\(f).png"),
                                             to: folder.appendingPathComponent("\(f).png"))
        }
    }
    return data
}

/// `--max-pixels` reaches the decoder of `graft train` (and `eval`): the 28×28 digits are
/// over a 100-pixel limit, so `--strict` stops at the first one with the decoder's error.
@Test(arguments: ["train", "eval"])
func maxPixelsRefusesImagesOverTheLimit(_ command: String) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-maxpx-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try twelveDigits(in: dir)
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let extra = (command == "train" ? ["-o", dir.appendingPathComponent("m.onnx").path, "--epochs", "1"] : []) + ["--no-cache"]
    let run = try runGraft([command, model, data.path, "--max-pixels", "100", "--strict"] + extra, timeout: 300)
    #expect(run.status == 1, "stdout: \(run.stdout) stderr: \(run.stderr)")
    #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.contains("limit of 100 pixels") || run.stderr.contains("cannot be decoded"), "stderr: \(run.stderr)")
}
