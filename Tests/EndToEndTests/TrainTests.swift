import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GraphIR
import ONNXFormat
import Runtime
import TensorCore
import Testing
import TestSupport

/// `graft train` and `graft eval` on the real EfficientNet-Lite0 and the digits
/// folders that `Models/datasets/make_digits.py` writes (500 images of 3 and 8).
/// The whole 500-image set is used: the feature pass is the slow part (about 20 s
/// in a debug build), and the second run must take its features from the cache.

private func digits(_ name: String) throws -> String {
    let folder = Fixtures.repoFile(".cache/datasets/\(name)")
    if !FileManager.default.fileExists(atPath: folder.path) {
        _ = try ReferencePython.run("Models/datasets/make_digits.py", [Fixtures.repoFile(".cache/datasets").path])
    }
    return folder.path
}

private func tempFolder(_ tag: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

private struct Report: Decodable {
    struct Epoch: Decodable { var epoch: Int; var trainLoss: Double; var validationAccuracy: Double? }
    struct M: Decodable { var accuracy: Double; var rocAUC: Double?; var confusion: [[Int]] }
    struct Options: Decodable { var optimizer: String; var epochs: Int?; var weightDecay: Double?; var learningRate: Double }
    var classNames: [String]
    var options: Options
    var epochs: [Epoch]
    var bestEpoch: Int
    var stopReason: String?
    var validation: M
    var featuresFromCache: Int
    var validationFiles: [String]
}

@Test func trainOnDigitsBeatsLogisticRegressionAndExportsWhatOnnxRuntimeRuns() throws {
    let data = try digits("digits-3v8")
    let dir = try tempFolder("train")
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let out = dir.appendingPathComponent("digits.onnx").path
    let cache = dir.appendingPathComponent("cache").path
    let args = ["train", model, data, "-o", out, "--cache-dir", cache]

    let run = try runGraft(args, timeout: 600)
    #expect(run.status == 0, "stderr: \(run.stderr)")
    let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".report.json")))
    #expect(report.classNames == ["eight", "three"])
    // The default: L-BFGS with λ = 1/400 until the gradient is below 1e-4 (14 iterations here), the last iterate kept.
    #expect(report.options.optimizer == "lbfgs" && report.options.weightDecay == 1.0 / 400 && report.options.epochs == 100)
    #expect(report.stopReason?.hasPrefix("converged after") == true, "\(report.stopReason ?? "no stop reason")")
    #expect(report.epochs.count < 100 && report.bestEpoch == report.epochs.count)
    #expect(report.validationFiles.count == 100)
    #expect(report.featuresFromCache == 0)
    let svg = try String(contentsOfFile: out + ".report.svg", encoding: .utf8)
    #expect(svg.hasPrefix("<svg") && svg.contains("</svg>") && svg.contains("ROC"))
    #expect(XMLParser(data: Data(svg.utf8)).parse(), "the SVG is not well-formed XML")

    // The baseline: LogisticRegression on onnxruntime's features of the same split.
    let baselineJSON = try ReferencePython.run("Tests/References/digits_logreg_baseline.py", [model, "/Reshape_output_0", out + ".report.json"])
    let baseline = try #require(try JSONSerialization.jsonObject(with: Data(baselineJSON.utf8)) as? [String: Any])
    let reference = try #require(baseline["validation_accuracy"] as? Double)
    print("graft train validation accuracy \(report.validation.accuracy), LogisticRegression \(reference)")
    #expect(report.validation.accuracy >= reference)
    #expect((report.validation.rocAUC ?? 0) > 0.98)

    // The exported model in onnxruntime computes what Graft's runtime computes.
    _ = try ReferencePython.run("Tests/References/run_onnx_seeded.py", [out, dir.path])
    let input = try NPYArray(contentsOf: dir.appendingPathComponent("input.npy"))
    let expected = try NPYArray(contentsOf: dir.appendingPathComponent("output.npy"))
    var graph = try ONNXImporter.load(url: URL(fileURLWithPath: out))
    try graph.sortTopologically()
    try ShapeInference.infer(&graph)
    #expect(graph.metadata.classNames == ["eight", "three"])
    #expect(graph.metadata.properties["graft.threshold"] == "0.5")
    #expect(graph.metadata.preprocessing?.size == [224, 224])
    let trainable = graph.parameters.filter { $0.value.trainable }.keys.sorted()
    #expect(trainable == ["head/dense/bias", "head/dense/weight"], "only the head is trainable: \(trainable)")
    let got = try Planner.compile(graph).run([graph.inputs[0].name: Tensor(shape: input.shape, scalars: input.scalars)])
    let output = try #require(got[graph.outputs[0]])
    #expect(output.shape == expected.shape)
    #expect(mismatch(output.scalars, expected.scalars, .network) == nil)

    // A second run takes every feature from the cache and gives the same result (same seed).
    let again = try runGraft(args, timeout: 300)
    #expect(again.status == 0, "stderr: \(again.stderr)")
    let second = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".report.json")))
    #expect(second.featuresFromCache == 500)
    #expect(second.epochs.map(\.trainLoss) == report.epochs.map(\.trainLoss))

    // graft eval on the trained model and graft predict use the stored threshold and names.
    let eval = try runGraft(["eval", out, data, "--json"], timeout: 300)
    #expect(eval.status == 0, "stderr: \(eval.stderr)")
    let metrics = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
    #expect((metrics?["accuracy"] as? Double ?? 0) > 0.95)
    let predict = try runGraft(["predict", out, report.validationFiles[0], "--top", "1"])
    #expect(predict.status == 0)
    #expect(predict.stdout.contains("three") || predict.stdout.contains("eight"))
}

/// `--augment --augment-views 2`: the 400 training images get 2 augmented views each (the
/// 100 validation images none), every view is computed once and a second run reads all of
/// them from the cache; three epochs on the views still separate 3 from 8.
@Test func trainWithAugmentedViewsCachesEveryViewAndStaysAccurate() throws {
    let data = try digits("digits-3v8")
    let dir = try tempFolder("train-augment")
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let out = dir.appendingPathComponent("augmented.onnx").path
    let cache = dir.appendingPathComponent("cache").path

    let alone = try runGraft(["train", model, data, "-o", out, "--augment-views", "2", "--cache-dir", cache])
    #expect(alone.status == 1)
    #expect(alone.stderrLines.count == 1 && alone.stderr.contains("--augment-views needs --augment"), "stderr: \(alone.stderr)")

    let args = ["train", model, data, "-o", out, "--augment", "--augment-views", "2", "--epochs", "3", "--cache-dir", cache]
    let run = try runGraft(args, timeout: 900)
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("(0 from the cache, 500 computed)"), "stdout: \(run.stdout)")
    #expect(run.stdout.contains("Features: 400 images × 3 views (2 augmented)"), "stdout: \(run.stdout)")
    #expect(run.stdout.contains("— 0 from the cache, 1200 computed"), "stdout: \(run.stdout)")
    struct Views: Decodable {
        struct Options: Decodable { var augmentViews: Int? }
        var options: Options
        var augmentedViewsFromCache: Int?
        var augmentedViewsComputed: Int?
    }
    let reportURL = URL(fileURLWithPath: out + ".report.json")
    let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: reportURL))
    let views = try JSONDecoder().decode(Views.self, from: Data(contentsOf: reportURL))
    #expect(report.epochs.count == 3)
    #expect(report.validationFiles.count == 100)
    #expect(views.options.augmentViews == 2)
    #expect(views.augmentedViewsFromCache == 0 && views.augmentedViewsComputed == 800)
    print("graft train --augment validation accuracy \(report.validation.accuracy)")
    #expect(report.validation.accuracy >= 0.9)
    #expect((report.validation.rocAUC ?? 0) > 0.95)

    let again = try runGraft(args, timeout: 300)
    #expect(again.status == 0, "stderr: \(again.stderr)")
    #expect(again.stdout.contains("(500 from the cache, 0 computed)"), "stdout: \(again.stdout)")
    #expect(again.stdout.contains("Features: 400 images × 3 views (2 augmented)"), "stdout: \(again.stdout)")
    #expect(again.stdout.contains("— 1200 from the cache, 0 computed"), "stdout: \(again.stdout)")
    let second = try JSONDecoder().decode(Report.self, from: Data(contentsOf: reportURL))
    #expect(second.epochs.map(\.trainLoss) == report.epochs.map(\.trainLoss), "the same seed picks the same views")
}

@Test(arguments: ["missing-class", "one-class", "missing-output-folder", "empty-class"])
func badTrainingInputsGetOneClearLine(_ case_: String) throws {
    let dir = try tempFolder("train-bad")
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let data = dir.appendingPathComponent("data")
    func image(_ path: String) throws {
        let url = data.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try digits("digits-3v8") + "/three/0003.png", toPath: url.path)
    }
    var out = dir.appendingPathComponent("out.onnx").path
    var expected = ""
    switch case_ {
    case "missing-class":
        expected = "no such folder"
    case "one-class":
        try image("cat/a.png")
        expected = "needs at least two"
    case "empty-class":
        try image("cat/a.png")
        try FileManager.default.createDirectory(at: data.appendingPathComponent("dog"), withIntermediateDirectories: true)
        expected = "'dog' has no JPEG or PNG images"
    default:
        try image("cat/a.png"); try image("dog/b.png")
        out = dir.appendingPathComponent("nowhere/out.onnx").path
        expected = "does not exist"
    }
    let run = try runGraft(["train", model, data.path, "-o", out, "--no-cache"])
    #expect(run.status == 1)
    #expect(!run.crashed)
    #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.contains(expected), "stderr: \(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
}

@Test func anUnreadableImageIsSkippedAndNamedOrAnErrorWithStrict() throws {
    let dir = try tempFolder("train-skip")
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = try digits("digits-3v8")
    let data = dir.appendingPathComponent("data")
    // A small set: 6 images per class, one broken PNG.
    for (cls, files) in [("three", ["0003", "0013", "0023", "0045", "0059", "0060"]), ("eight", ["0008", "0018", "0028", "0038", "0040", "0053"])] {
        let folder = data.appendingPathComponent(cls)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for f in files {
            try FileManager.default.copyItem(atPath: "\(source)/\(cls)/\(f).png", toPath: folder.appendingPathComponent("\(f).png").path)
        }
    }
    try Data(SeededGenerator.bytes(300, seed: 3)).write(to: data.appendingPathComponent("eight/broken.png"))
    let out = dir.appendingPathComponent("small.onnx").path
    let run = try runGraft(["train", try Fixtures.realModel(.efficientNetLite0).path, data.path, "-o", out, "--epochs", "2", "--no-cache"], timeout: 300)
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stderr.contains("broken.png"))
    #expect(run.stdout.contains("Skipped 1 unreadable image"))
    let strict = try runGraft(["train", try Fixtures.realModel(.efficientNetLite0).path, data.path, "-o", out + ".strict.onnx",
                               "--epochs", "2", "--no-cache", "--strict"], timeout: 300)
    #expect(strict.status == 1)
    #expect(strict.stderrLines.count == 1 && strict.stderr.contains("broken.png"), "stderr: \(strict.stderr)")
}

/// `--stop-after-epoch` stops as Ctrl-C does (checkpoint, exit 130, a line saying how to resume);
/// `--resume` continues and writes the same bytes as a run that never stopped; the checkpoint is
/// removed after the export, and a checkpoint of other options is refused with one line.
@Test func anInterruptedRunResumedFromItsCheckpointWritesTheSameModel() throws {
    let dir = try tempFolder("train-resume")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try smallDigits(in: dir)
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let cache = dir.appendingPathComponent("cache").path
    let common = ["--epochs", "5", "--batch-size", "3", "--hidden", "8", "--dropout", "0.2", "--schedule", "cosine",
                  "--val-split", "0.34", "--cache-dir", cache]
    let whole = dir.appendingPathComponent("whole.onnx").path
    let run = try runGraft(["train", model, data.path, "-o", whole] + common, timeout: 300)
    #expect(run.status == 0, "stderr: \(run.stderr)")

    let out = dir.appendingPathComponent("resumed.onnx").path
    let stopped = try runGraft(["train", model, data.path, "-o", out, "--stop-after-epoch", "2"] + common, timeout: 300)
    #expect(stopped.status == 130, "stderr: \(stopped.stderr)")
    #expect(stopped.stdout.contains("--resume"), "stdout: \(stopped.stdout)")
    #expect(FileManager.default.fileExists(atPath: out + ".checkpoint"))
    #expect(!FileManager.default.fileExists(atPath: out))

    let wrong = try runGraft(["train", model, data.path, "-o", out, "--resume", "--lr", "0.5"] + common, timeout: 300)
    #expect(wrong.status == 1)
    #expect(wrong.stderrLines.count == 1 && wrong.stderr.contains("options differ"), "stderr: \(wrong.stderr)")

    let resumed = try runGraft(["train", model, data.path, "-o", out, "--resume"] + common, timeout: 300)
    #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
    #expect(resumed.stdout.contains("Resuming from"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: whole)), "resumed and uninterrupted models differ")
    #expect(!FileManager.default.fileExists(atPath: out + ".checkpoint"))
    let a = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: whole + ".report.json")))
    let b = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".report.json")))
    #expect(a.epochs.map(\.trainLoss) == b.epochs.map(\.trainLoss))
}

/// The head's optimizer: L-BFGS for a linear head; Adam with a hidden layer or dropout, or
/// when an option only a first-order optimizer has is given (so older command lines keep
/// their meaning); --optimizer lbfgs with such an option or a hidden layer is refused before
/// any work, in one line.
@Test func theDefaultOptimizerIsLBFGSForALinearHeadAndFirstOrderOptionsPickAdam() throws {
    let dir = try tempFolder("train-optimizer")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try smallDigits(in: dir)
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let cache = dir.appendingPathComponent("cache").path
    let out = dir.appendingPathComponent("m.onnx").path
    func report() throws -> Report { try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".report.json"))) }

    let plain = try runGraft(["train", model, data.path, "-o", out, "--cache-dir", cache, "--val-split", "0.34"], timeout: 300)
    #expect(plain.status == 0, "stderr: \(plain.stderr)")
    #expect(plain.stdout.contains("Training: L-BFGS on all 8 training rows, L2 λ 0.125 (1/n_train), at most 100 iterations"),
            "stdout: \(plain.stdout)")
    #expect(try report().options.optimizer == "lbfgs")
    // Stopped after its second iteration and resumed, it writes the same model.
    let whole = try Data(contentsOf: URL(fileURLWithPath: out))
    try FileManager.default.removeItem(atPath: out)
    let stopped = try runGraft(["train", model, data.path, "-o", out, "--cache-dir", cache, "--val-split", "0.34", "--stop-after-epoch", "2"],
                               timeout: 300)
    #expect(stopped.status == 130 && FileManager.default.fileExists(atPath: out + ".checkpoint"), "stderr: \(stopped.stderr)")
    let resumed = try runGraft(["train", model, data.path, "-o", out, "--cache-dir", cache, "--val-split", "0.34", "--resume"], timeout: 300)
    #expect(resumed.status == 0 && resumed.stdout.contains("Resuming from"), "stderr: \(resumed.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == whole, "resumed and uninterrupted models differ")

    for (extra, optimizer, epochs) in [(["--lr", "0.001"], "adam", 20), (["--hidden", "4"], "adam", 20),
                                       (["--optimizer", "sgd", "--epochs", "3"], "sgd", 3), (["--epochs", "7"], "lbfgs", 7)] {
        let run = try runGraft(["train", model, data.path, "-o", out, "--cache-dir", cache, "--val-split", "0.34"] + extra, timeout: 300)
        #expect(run.status == 0, "\(extra): \(run.stderr)")
        let r = try report()
        #expect(r.options.optimizer == optimizer && r.options.epochs == epochs, "\(extra): \(r.options)")
        if optimizer != "lbfgs" { #expect(r.options.weightDecay == 0, "\(extra)") }
    }

    for (extra, flag) in [(["--optimizer", "lbfgs", "--lr", "0.1"], "--lr"), (["--optimizer", "lbfgs", "--hidden", "4"], "--hidden"),
                          (["--optimizer", "lbfgs", "--batch-size", "4"], "--batch-size"), (["--optimizer", "newton"], "--optimizer")] {
        let run = try runGraft(["train", model, data.path, "-o", out] + extra)
        #expect(run.status != 0 && run.stderr.contains(flag), "\(extra): \(run.stderr)")
    }
}

/// 6 images of 3 and 6 of 8 from digits-3v8 in `dir/data`.
private func smallDigits(in dir: URL) throws -> URL {
    let source = try digits("digits-3v8")
    let data = dir.appendingPathComponent("data")
    for (cls, files) in [("three", ["0003", "0013", "0023", "0045", "0059", "0060"]), ("eight", ["0008", "0018", "0028", "0038", "0040", "0053"])] {
        let folder = data.appendingPathComponent(cls)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for f in files {
            try FileManager.default.copyItem(atPath: "\(source)/\(cls)/\(f).png", toPath: folder.appendingPathComponent("\(f).png").path)
        }
    }
    return data
}

/// `graft eval` on a model `graft train` wrote takes the backbone's features from the cache
/// the training filled (the trained model's backbone has the same digest) and gives the
/// metrics the whole model gives without the cache.
@Test func evalOfATrainedModelReadsTheTrainingFeatureCache() throws {
    let dir = try tempFolder("eval-cache")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try smallDigits(in: dir)
    let cache = dir.appendingPathComponent("cache").path
    let out = dir.appendingPathComponent("m.onnx").path
    let train = try runGraft(["train", try Fixtures.realModel(.efficientNetLite0).path, data.path, "-o", out, "--epochs", "3",
                              "--cache-dir", cache], timeout: 300)
    #expect(train.status == 0, "stderr: \(train.stderr)")
    let cached = try runGraft(["eval", out, data.path, "--cache-dir", cache], timeout: 300)
    #expect(cached.status == 0, "stderr: \(cached.stderr)")
    #expect(cached.stdout.contains("Features: 12 from the cache, 0 computed"), "stdout: \(cached.stdout)")
    let a = try runGraft(["eval", out, data.path, "--cache-dir", cache, "--json"], timeout: 300)
    let b = try runGraft(["eval", out, data.path, "--no-cache", "--json"], timeout: 300)
    #expect(a.status == 0 && b.status == 0)
    let ma = try #require(try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
    let mb = try #require(try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
    #expect(ma["accuracy"] as? Double == mb["accuracy"] as? Double)
    #expect(ma["confusion"] as? [[Int]] == mb["confusion"] as? [[Int]])
    let auc = (ma["rocAUC"] as? Double ?? -1) - (mb["rocAUC"] as? Double ?? 1)
    #expect(abs(auc) < 1e-9)
}

/// A damaged feature cache file (cut short, or overwritten with garbage) is a cache miss:
/// `graft eval` and `graft train` say so in one warning line naming the file, compute the
/// features, succeed, and leave a cache the next run reads whole.
@Test func aDamagedFeatureCacheIsRebuiltWithOneWarningLine() throws {
    let dir = try tempFolder("damaged-cache")
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try smallDigits(in: dir)
    let cache = dir.appendingPathComponent("cache")
    let out = dir.appendingPathComponent("m.onnx").path
    let train = ["train", try Fixtures.realModel(.efficientNetLite0).path, data.path, "-o", out, "--epochs", "3",
                 "--cache-dir", cache.path]
    let eval = ["eval", out, data.path, "--cache-dir", cache.path]
    let first = try runGraft(train, timeout: 300)
    #expect(first.status == 0, "stderr: \(first.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".h5") && !$0.hasPrefix(".") }
    #expect(files.count == 1, "cache files: \(files)")
    let file = cache.appendingPathComponent(try #require(files.first))

    let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) })
    for (damage, command, computed) in [("truncated", eval, "Features: 0 from the cache, 12 computed"),
                                        ("garbage", train, "(0 from the cache, 12 computed)")] {
        let bytes = try Data(contentsOf: file)
        try (damage == "truncated" ? bytes.prefix(bytes.count / 2) : garbage).write(to: file)
        let run = try runGraft(command, timeout: 300)
        #expect(run.status == 0, "\(damage), \(command[0]): \(run.stderr)")
        #expect(run.stderrLines.count == 1, "\(damage), \(command[0]): \(run.stderr)")
        #expect(run.stderr.hasPrefix("graft: warning: the feature cache \(file.path) cannot be used ("), "\(run.stderr)")
        #expect(run.stderr.contains("it will be rebuilt"))
        #expect(run.stdout.contains(computed), "\(damage), \(command[0]): \(run.stdout)")

        let again = try runGraft(eval, timeout: 300)
        #expect(again.status == 0 && again.stderr.isEmpty, "\(damage): \(again.stderr)")
        #expect(again.stdout.contains("Features: 12 from the cache, 0 computed"), "\(damage): \(again.stdout)")
    }
}
