import GraphIR
import Runtime
import Surgery
import TensorCore
import Testing
import TestSupport

@Test func cutAtTheHeadKeepsThePooledFeatures() throws {
    var g = try smallClassifier()
    g.metadata.classNames = ["a", "b", "c", "d", "e"]
    let original = g
    #expect(CutGraph().matches(g))
    let report = try CutGraph().apply(to: &g)
    try expectGolden(GraphPrinter.print(g), named: "cut-small-classifier.txt")
    #expect(report.output == "f")
    #expect(report.outputShape == "[N, 4]")
    #expect(report.removedNodes == ["fc", "softmax"])
    #expect(report.removedParameters == 5 * 4 + 5)
    #expect(report.head?.dense.first?.node == "fc")
    #expect(g.metadata.classNames == nil)
    #expect(!CutGraph().matches(g), "nothing left to cut")
    // Numbers: the cut graph computes the original's features.
    let inputs = seededInputs(for: original)
    let features = try Planner.compile(g).run(inputs)["f"]!
    #expect(features.scalars == (try valueOf("f", in: original, inputs: inputs)).scalars)
}

@Test(arguments: [("relu", "r"), ("r", "r"), ("pool", "p")])
func cutAfterANamedNodeOrValue(name: String, output: String) throws {
    var g = try smallClassifier()
    let report = try CutGraph(at: .after(name)).apply(to: &g)
    #expect(g.outputs == [output])
    #expect(report.output == output)
    #expect(g.parameters.keys.sorted() == ["conv.b", "conv.w"])
}

@Test func cutAfterAKerasLayerTakesItsLastNode() throws {
    var g = try smallClassifier()
    for i in g.nodes.indices where ["conv", "relu"].contains(g.nodes[i].name) { g.nodes[i].layer = "model/block_1_conv" }
    #expect(try NodeLookup.value(named: "model/block_1_conv", in: g) == "r")
    #expect(try NodeLookup.value(named: "block_1_conv", in: g) == "r")
}

@Test func unknownNameListsTheClosestNames() throws {
    let g = try smallClassifier()
    #expect(throws: SurgeryError.unknownName("flaten", suggestions: ["flatten"])) {
        try CutGraph(at: .after("flaten")).cutValue(in: g)
    }
    #expect(throws: SurgeryError.cutAtNonNode("fc.w")) { try CutGraph(at: .after("fc.w")).cutValue(in: g) }
    #expect(throws: SurgeryError.self) { try CutGraph(at: .after("x")).cutValue(in: g) }
}

@Test func suggestionsPreferPrefixesThenEditDistance() {
    let names = ["/_blocks.1/Add", "/_blocks.10/Add", "/_fc/Gemm", "/Reshape", "/_conv_head/Conv"]
    #expect(NameSuggestions.closest(to: "/_fc/Gem", in: names) == ["/_fc/Gemm"])
    #expect(NameSuggestions.closest(to: "/_blocks.1", in: names) == ["/_blocks.1/Add", "/_blocks.10/Add"])
    #expect(NameSuggestions.closest(to: "/Reshap", in: names).first == "/Reshape")
    #expect(NameSuggestions.closest(to: "/_block.1/Add", in: names).first == "/_blocks.1/Add")
    #expect(NameSuggestions.closest(to: "qqqqqqqqqq", in: names).isEmpty)
}

@Test func graphWithoutAHeadCannotBeCutByDefault() throws {
    var g = try smallClassifier()
    try CutGraph().apply(to: &g)
    #expect(throws: SurgeryError.noHeadFound(output: "f")) { try CutGraph().apply(to: &g) }
}
