import Foundation
import Testing
import TestSupport

/// Inputs the fuzzers found (scripts/fuzz.sh, Docs/reliability.md), kept under
/// `Fixtures/fuzz/<target>/`. Each one crashed or hung a reader once; now `graft`
/// must answer with one clear error line and exit 1.
///
/// The `keras-h5` ones crash or hang libhdf5 1.10 itself (out-of-bounds `memcpy` in
/// `H5HG_read` while converting a variable-length string attribute), which no Swift
/// code can catch: `graft` reads every HDF5 file first in a child process
/// (`IsolatedHDF5Read`) and turns the child's death into the error.
enum FuzzFinding: CustomTestStringConvertible, Sendable {
    case file(target: String, name: String)

    /// The findings of the readers' targets (`onnx-graph` has its own test).
    static var all: [FuzzFinding] { files(targets: ["keras-h5", "keras-zip", "onnx", "jpeg", "png"]) }

    static func files(targets: [String]) -> [FuzzFinding] {
        let root = Fixtures.repoFile("Tests/EndToEndTests/Fixtures/fuzz")
        return targets.flatMap { target in
            ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(target).path)) ?? [])
                .sorted().map { FuzzFinding.file(target: target, name: $0) }
        }
    }

    var url: URL {
        guard case let .file(target, name) = self else { fatalError() }
        return Fixtures.repoFile("Tests/EndToEndTests/Fixtures/fuzz/\(target)/\(name)")
    }

    var testDescription: String { guard case let .file(target, name) = self else { return "" }; return "\(target)/\(name)" }
}

@Test func fuzzFindingsAreCommitted() {
    #expect(FuzzFinding.all.count >= 4, "Tests/EndToEndTests/Fixtures/fuzz is missing")
    #expect(FuzzFinding.files(targets: ["onnx-graph"]).count >= 1)
}

@Test(arguments: FuzzFinding.all, [["inspect"], ["inspect", "--weights"]])
func fuzzFindingGetsOneClearLine(_ finding: FuzzFinding, _ command: [String]) throws {
    // The hang would otherwise take the default 120 s.
    let run = try runGraft(command + [finding.url.path], timeout: 90, environment: ["GRAFT_READ_TIMEOUT": "10"])
    #expect(!run.crashed, "graft crashed: \(run.stderr)")
    #expect(run.status == 1, "stdout: \(run.stdout)")
    #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.hasPrefix("graft: error: "))
    // Whether libhdf5 crashed in the child or returned an error in process, the line names the file.
    #expect(run.stderr.contains(finding.url.path), "stderr: \(run.stderr)")
}

/// The parent reads a file again in process after the child probe, and whether a
/// corrupt file hangs libhdf5 depends on the heap's layout (the hang finding above
/// hangs the child with one path and the parent with another). `ReadWatchdog`
/// bounds the in-process read: here a real model, the probe skipped, and a limit
/// far below its read time.
@Test func anInProcessReadPastItsTimeEndsWithOneClearLine() throws {
    let model = try Fixtures.realModel(.labdogMobileNetV2)
    for command in [["inspect"], ["inspect", "--weights"]] {
        let run = try runGraft(command + [model.path], timeout: 60,
                               environment: ["GRAFT_PROBE_CHILD": "1", "GRAFT_READ_TIMEOUT": "0.001"])
        #expect(!run.crashed)
        #expect(run.status == 1, "stdout: \(run.stdout)")
        #expect(run.stderrLines == ["graft: error: reading \(model.path) with libhdf5 did not finish within 0.001 s (GRAFT_READ_TIMEOUT sets the limit); "
            + "the file is corrupt — re-save it from Keras, or use a copy that loads there"])
    }
}

/// The `onnx-graph` target runs what `graft` does after reading (shape inference,
/// simplification, planning, a run). Its findings, through `graft inspect` and
/// `graft bench` with the fuzzer's activation limit: no crash, and one line when refused.
/// - `pad-to-1.9-gb-…`: a 217-byte model whose `Pad` turns a [2, 65, 9, 8] input into
///   1.8 GiB went past the fuzzer's 2 GB malloc limit. Activations may take the
///   machine's memory (Docs/reliability.md); under `GRAFT_ACTIVATION_LIMIT` = 256 MiB
///   the plan must be refused before it is allocated.
/// - `float-constant-to-int-trap-…`: a float constant of -1e30, tracked by shape
///   inference as an integer, trapped in the conversion (`Tensor.int64s`).
/// - `reflect-pad-of-empty-axis-…`: reflect padding of a [2, 4, 9, 0] input read outside
///   it (ASan: heap-buffer-overflow in `PadKernel`); shape inference now refuses it.
@Test(arguments: FuzzFinding.files(targets: ["onnx-graph"]), [["inspect"], ["bench", "--iterations", "1"]])
func graphFuzzFindingNeverCrashes(_ finding: FuzzFinding, _ command: [String]) throws {
    let run = try runGraft([command[0], finding.url.path] + command.dropFirst(), timeout: 120,
                           environment: ["GRAFT_ACTIVATION_LIMIT": "\(256 << 20)"])
    #expect(!run.crashed, "graft crashed: \(run.stderr)")
    #expect(run.status == 0 || (run.status == 1 && run.stderrLines.count == 1), "status \(run.status), stderr: \(run.stderr)")
    if finding.testDescription.contains("reflect-pad-of-empty-axis") {
        #expect(run.status == 1 && run.stderr.contains("reflect padding of axis 3 of [2, 4, 9, 0], which is empty"), "stderr: \(run.stderr)")
    }
    if finding.testDescription.contains("pad-to-1.9-gb"), command[0] == "bench" {
        #expect(run.status == 1 && run.stderr.contains("GRAFT_ACTIVATION_LIMIT allows") && run.stderr.contains("nothing was allocated"),
                "stderr: \(run.stderr)")
    }
}
