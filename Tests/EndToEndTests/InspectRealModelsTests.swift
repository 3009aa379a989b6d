import Foundation
import Testing
import TestSupport

/// `graft inspect --json` on the real pretrained files, checked against the facts the
/// reference tools report (Tests/References/make_real_model_references.py).

private struct Summary: Decodable {
    struct Value: Decodable { var name: String; var shape: String }
    struct Row: Decodable { var name: String; var op: String; var parameters: Int }
    struct Totals: Decodable { var parameters: Int; var trainable: Int; var nonTrainable: Int; var statistics: Int }
    struct Dense: Decodable { var node: String; var inputFeatures: Int; var outputFeatures: Int }
    struct Head: Decodable { var dense: [Dense]; var activation: String; var classes: Int; var featureShape: String; var cutValue: String }
    var format: String
    var inputs: [Value]
    var outputs: [Value]
    var rows: [Row]
    var totals: Totals
    var head: Head?
    var suggestedCut: String?
}

private func references() throws -> [String: Any] {
    let data = try Data(contentsOf: Fixtures.repoFile("Tests/References/real_models.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

private func reference(_ file: String) throws -> [String: Any] {
    try #require(try references()[file] as? [String: Any])
}

private func inspect(_ model: RealModel) throws -> Summary {
    let run = try runGraft(["inspect", "--json", try Fixtures.realModel(model).path])
    #expect(run.status == 0, "stderr: \(run.stderr)")
    return try JSONDecoder().decode(Summary.self, from: Data(run.stdout.utf8))
}

@Test func efficientNetLite0ShowsItsParametersHeadAndCutPoint() throws {
    let s = try inspect(.efficientNetLite0)
    let ref = try reference("efficientnet_lite0.onnx")
    #expect(s.totals.parameters == ref["parameters"] as? Int)
    #expect(s.totals.parameters == 4_631_000)
    #expect(s.inputs.map(\.shape) == ["[batch, 3, 224, 224]"])
    #expect(s.outputs.map(\.shape) == ["[batch, 1000]"])
    let head = try #require(s.head)
    let refHead = try #require(ref["head_dense"] as? [String: Any])
    #expect(head.dense.map(\.node) == [refHead["node"] as? String])
    #expect(head.dense.first?.inputFeatures == 1280)
    #expect(head.dense.first?.outputFeatures == 1000)
    #expect(head.activation == "none")
    #expect(head.featureShape == "[batch, 1280]")
    #expect(s.suggestedCut != nil)
    // Constant nodes are structure, not rows with parameters.
    #expect(!s.rows.contains { $0.op == "constant" })
}

@Test func openNSFWShowsItsTwoClassSoftmaxHead() throws {
    let s = try inspect(.openNSFW)
    let ref = try reference("open_nsfw.onnx")
    #expect(s.totals.parameters == ref["parameters"] as? Int)
    #expect(s.totals.parameters == 5_929_282)
    let head = try #require(s.head)
    #expect(head.classes == 2)
    #expect(head.activation == "softmax")
    #expect(head.dense.first?.inputFeatures == 1024)
    #expect(s.inputs.map(\.shape) == ["[batch, 224, 224, 3]"])
}

@Test func labdogShowsNestedMobileNetV2StatisticsAndDenseHead() throws {
    let s = try inspect(.labdogMobileNetV2)
    let ref = try reference("dog_breed_mobilenetv2.h5")
    #expect(s.totals.parameters == 2_282_323)
    #expect(s.totals.parameters == ref["parameters"] as? Int)
    #expect(s.totals.statistics == 34_112)
    #expect(s.totals.statistics == ref["batchnorm_statistics"] as? Int)
    #expect(s.totals.trainable == ref["trainable"] as? Int)
    #expect(s.totals.nonTrainable == ref["non_trainable"] as? Int)
    #expect(s.rows.contains { $0.name.hasPrefix("mobilenetv2_1.00_160/") })
    #expect(s.inputs.map(\.shape) == ["[batch, 3, 160, 160]"])
    let head = try #require(s.head)
    #expect(head.dense.map(\.inputFeatures) == [1280])
    #expect(head.classes == 19)
    #expect(head.activation == "softmax")
}

@Test func dogcatKerasLayerIsAClearErrorButItsWeightsAreListed() throws {
    let path = try Fixtures.realModel(.dogcatKerasLayer).path
    let run = try runGraft(["inspect", path])
    #expect(run.status == 1)
    #expect(!run.crashed)
    #expect(run.stderrLines.count == 1)
    #expect(run.stderr.contains("KerasLayer"))
    #expect(run.stderr.contains("keras_layer"))
    // The multi-line message folds into a readable line: no ":;", no list markers.
    #expect(run.stderr.contains("cannot rebuild 1 layer(s): keras_layer (KerasLayer): a TensorFlow Hub layer"), "\(run.stderr)")

    let listed = try runGraft(["inspect", "--weights", "--json", path])
    #expect(listed.status == 0, "stderr: \(listed.stderr)")
    struct Listing: Decodable {
        struct Entry: Decodable { var name: String; var shape: [Int] }
        var weights: [Entry]
    }
    let listing = try JSONDecoder().decode(Listing.self, from: Data(listed.stdout.utf8))
    let refWeights = try #require(try reference("dogcat_model.h5")["weights"] as? [[String: Any]])
    #expect(listing.weights.count == refWeights.count)
    let ours = Dictionary(listing.weights.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
    for w in refWeights {
        let name = try #require(w["name"] as? String)
        #expect(ours[name] == w["shape"] as? [Int], "weight \(name)")
    }
}

@Test func inspectTableShowsTotalsHeadAndCut() throws {
    let run = try runGraft(["inspect", try Fixtures.realModel(.efficientNetLite0).path])
    #expect(run.status == 0)
    #expect(run.stdout.contains("Total parameters: 4,631,000"))
    #expect(run.stdout.contains("/_fc/Gemm (1280 -> 1000)"))
    #expect(run.stdout.contains("Suggested cut: graft cut"))
}
