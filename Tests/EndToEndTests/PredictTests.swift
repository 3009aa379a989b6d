import Foundation
import Testing
import TestSupport

/// `graft predict` on real photos (scikit-image's bundled chelsea and coffee) with the
/// real EfficientNet-Lite0: the classes and probabilities onnxruntime gives
/// (`../shared/models/efficientnet_lite0.reference.json`).

private func photo(_ name: String) throws -> String {
    let folder = try ReferencePython.run("Tests/References/skimage_data_path.py", []).trimmingCharacters(in: .whitespacesAndNewlines)
    return folder + "/" + name
}

private struct Ranked: Decodable {
    struct P: Decodable { var classIndex: Int; var label: String?; var probability: Double }
    var image: String
    var predictions: [P]
}

@Test func efficientNetPutsTheCatAndTheEspressoFirst() throws {
    let model = try Fixtures.realModel(.efficientNetLite0).path
    let run = try runGraft(["predict", model, try photo("chelsea.png"), try photo("coffee.png"), "--top", "5", "--json"])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    let results = try JSONDecoder().decode([Ranked].self, from: Data(run.stdout.utf8))
    let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.sharedModels
        .appendingPathComponent("efficientnet_lite0.reference.json"))) as? [String: [String: Any]]
    for (result, file) in zip(results, ["chelsea.png", "coffee.png"]) {
        let ref = try #require(reference?[file])
        let top5 = try #require(ref["top5"] as? [Int])
        let prob = try #require(ref["prob"] as? [Double])
        #expect(result.predictions.first?.classIndex == top5[0], "\(file)")
        // The reference resized without antialiasing, as the EfficientNet preset does;
        // resampling details still move probabilities a little.
        #expect(abs((result.predictions.first?.probability ?? 0) - prob[0]) < 0.03, "\(file)")
        #expect(Set(result.predictions.prefix(3).map(\.classIndex)) == Set(top5.prefix(3)), "\(file)")
    }
    #expect(results.first?.predictions.first?.label == "Egyptian Mau")
    #expect(results.last?.predictions.first?.label == "espresso")
}

@Test func aCorruptImageIsOneClearLine() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-img-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let bad = dir.appendingPathComponent("broken.jpg")
    try Data(SeededGenerator.bytes(2000, seed: 7)).write(to: bad)
    let run = try runGraft(["predict", try Fixtures.realModel(.efficientNetLite0).path, bad.path])
    #expect(run.status == 1)
    #expect(!run.crashed)
    #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    #expect(run.stderr.contains("broken.jpg"))
}

@Test func simplifyKeepsTheOutputsAndWritesALoadableModel() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graft-simplify-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("simplified.onnx").path
    let run = try runGraft(["simplify", try Fixtures.realModel(.efficientNetLite0).path, "-o", out])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("Nodes: 234 -> 94"))
    #expect(run.stdout.contains("Check: largest output difference"))
    #expect(run.stdout.contains(": ok"))
    let inspect = try runGraft(["inspect", "--json", out])
    #expect(inspect.status == 0)
    #expect(inspect.stdout.contains("\"parameters\" : 4631000"))
}

@Test func benchReportsThroughputLatencyAndMemory() throws {
    let run = try runGraft(["bench", try Fixtures.realModel(.efficientNetLite0).path, "--batch", "2", "--iterations", "2", "--threads", "1", "--json"])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    struct Result: Decodable { var batch: Int; var threads: Int; var imagesPerSecond: Double; var medianMs: Double; var p90Ms: Double; var peakRSSMiB: Double }
    let r = try JSONDecoder().decode(Result.self, from: Data(run.stdout.utf8))
    #expect(r.batch == 2 && r.threads == 1)
    #expect(r.imagesPerSecond > 0 && r.medianMs > 0 && r.p90Ms >= r.medianMs)
    // The weights alone are 17.7 MiB; a process that reports less did not measure itself.
    #expect(r.peakRSSMiB > 17.7)
}

/// A model whose input fixes the batch size is benchmarked at that size; asking for
/// another is one line that says which batch the model takes.
@Test func benchTakesAFixedBatchFromTheModel() throws {
    let model = Fixtures.repoFile("Models/onnx-ops/legacy_opset9.onnx").path  // x: float32[1, 3, 4, 4]
    let run = try runGraft(["bench", model, "--iterations", "2", "--json"])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    #expect(run.stdout.contains("\"batch\":1"), "stdout: \(run.stdout)")
    let wrong = try runGraft(["bench", model, "--batch", "4"])
    #expect(wrong.status == 1)
    #expect(wrong.stderrLines == ["graft: error: \(model) takes batches of 1 (its input x is float32[1, 3, 4, 4]); give --batch 1 or leave --batch out"])
}
