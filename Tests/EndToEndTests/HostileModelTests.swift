import Foundation
import Testing
import TestSupport

/// Tiny ONNX models that ask for huge tensors (`Formats/onnx/corrupt`, see its `generate.py`)
/// through the real `graft`: one line naming the node or input and its size, exit 1, no crash.
struct HostileRun: CustomTestStringConvertible, Sendable {
    var model: String
    var command: [String]
    /// Text the error line must contain.
    var names: String

    var testDescription: String { "\(command[0]) \(model)" }

    static let image = Fixtures.repoFile("Tests/ImageDataTests/Fixtures/png/rgb8.png").path
    static let inputLine = "input x of shape [1, 3, 100000, 100000] needs 111.8 GiB, more than this machine's"

    static let all: [HostileRun] = [
        // Folded at plan time: FoldLimit.
        HostileRun(model: "constant_of_shape_10g", command: ["bench", "--iterations", "1"],
                   names: "node big (constant_of_shape) computes a constant of shape [100000, 100000], 10000000000 elements"),
        HostileRun(model: "constant_of_shape_10g", command: ["simplify"], names: "node big (constant_of_shape)"),
        HostileRun(model: "broadcast_add_10g", command: ["bench", "--iterations", "1"], names: "node outer (add)"),
        HostileRun(model: "gather_10g", command: ["bench", "--iterations", "1"], names: "node repeat (gather)"),
        // Shapes that overflow or are negative: shape inference, when the file is loaded.
        HostileRun(model: "constant_of_shape_overflow", command: ["inspect"],
                   names: "node 'big' (constant_of_shape): its output shape [4294967296, 4294967296] has more than 2^40 elements"),
        HostileRun(model: "constant_of_shape_negative", command: ["inspect"],
                   names: "node 'big' (constant_of_shape): its output shape [-1, 5] has a negative dimension"),
        // An input larger than memory: ActivationLimit, when the file is loaded (and again when planned).
        HostileRun(model: "input_1x3x100000x100000", command: ["inspect"], names: inputLine),
        HostileRun(model: "input_1x3x100000x100000", command: ["predict", image, "--preprocess", "unit-scale"], names: inputLine),
        HostileRun(model: "input_1x3x100000x100000", command: ["bench", "--iterations", "1"], names: inputLine),
    ]
}

@Test(arguments: HostileRun.all)
func hostileModelGetsOneLineNamingTheSize(_ run: HostileRun) throws {
    let path = Fixtures.repoFile("Formats/onnx/corrupt/\(run.model).onnx").path
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("graft-hostile-\(UUID().uuidString).onnx")
    defer { try? FileManager.default.removeItem(at: output) }
    // The model file comes right after the subcommand; predict's image follows it.
    var arguments = [run.command[0], path] + run.command.dropFirst()
    if run.command[0] == "simplify" { arguments += ["-o", output.path] }
    let result = try runGraft(arguments, timeout: 120)
    #expect(!result.crashed, "graft crashed: \(result.stderr)")
    #expect(result.status == 1, "stdout: \(result.stdout) stderr: \(result.stderr)")
    #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
    #expect(result.stderr.hasPrefix("graft: error: "))
    #expect(result.stderr.contains(run.names), "stderr: \(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: output.path))
}
