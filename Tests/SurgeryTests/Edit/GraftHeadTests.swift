import GraphIR
import Runtime
import Surgery
import TensorCore
import Testing
import TestSupport

@Test func attachBinaryHeadWithHiddenAndDropoutToFeatureMaps() throws {
    var g = try smallClassifier()
    try CutGraph(at: .after("relu")).apply(to: &g)
    let report = try GraftHead(HeadSpec(kind: .binary(softmax: false), hidden: 3, dropout: 0.25, seed: 7)).apply(to: &g)
    try expectGolden(GraphPrinter.print(g), named: "attach-binary-hidden-dropout.txt")
    #expect(report.pooled)
    #expect(report.cut == nil)
    #expect(report.outputShape == "[N, 1]")
    #expect(report.parameters == ["head/hidden/weight", "head/hidden/bias", "head/dense/weight", "head/dense/bias"])
    #expect(g.metadata.classNames == ["class_0", "class_1"])
    #expect(g.metadata.properties["graft.threshold"] == "0.5")
    #expect(report.parameters.allSatisfy { g.parameters[$0]!.trainable && g.parameters[$0]!.role == .weight })
    #expect(g.parameters["head/dense/bias"]!.tensor.scalars == [0])
    // Numbers: a sigmoid output lies in (0, 1).
    let y = try Planner.compile(g).run(seededInputs(for: g))[g.outputs[0]]!
    #expect(y.shape == [2, 1])
    #expect(y.scalars.allSatisfy { $0 > 0 && $0 < 1 })
}

@Test func attachToAModelWithAHeadCutsItFirst() throws {
    var g = try smallClassifier()
    let report = try GraftHead(HeadSpec(kind: .classes(3), labels: ["cat", "dog", "fox"])).apply(to: &g)
    try expectGolden(GraphPrinter.print(g), named: "attach-three-classes.txt")
    #expect(report.cut?.removedNodes == ["fc", "softmax"])
    #expect(!report.pooled)
    #expect(g.metadata.classNames == ["cat", "dog", "fox"])
    #expect(g.metadata.properties["graft.threshold"] == nil)
    #expect(g.parameters["fc.w"] == nil)
    let y = try Planner.compile(g).run(seededInputs(for: g))[g.outputs[0]]!
    for row in 0..<2 { #expect(abs(y.scalars[row * 3..<row * 3 + 3].reduce(0, +) - 1) < 1e-5) }
}

@Test func binarySoftmaxHasTwoUnits() throws {
    var g = try smallClassifier()
    let report = try GraftHead(HeadSpec(kind: .binary(softmax: true))).apply(to: &g)
    #expect(report.outputShape == "[N, 2]")
    #expect(g.metadata.properties["graft.threshold"] == "0.5")
}

@Test func badHeadOptionsAreRefused() throws {
    var g = try smallClassifier()
    #expect(throws: SurgeryError.labelCountMismatch(labels: 1, classes: 2)) {
        try GraftHead(HeadSpec(kind: .binary(softmax: false), labels: ["only"])).apply(to: &g)
    }
    #expect(throws: SurgeryError.self) { try GraftHead(HeadSpec(kind: .classes(1))).apply(to: &g) }
    #expect(throws: SurgeryError.self) { try GraftHead(HeadSpec(kind: .classes(2), dropout: 1)).apply(to: &g) }
    #expect(throws: SurgeryError.self) { try GraftHead(HeadSpec(kind: .classes(2), hidden: 0)).apply(to: &g) }
}

@Test func glorotWeightsStayInTheirBoundsWithTheRightSpread() {
    var generator = GlorotUniform(seed: 42)
    let w = generator.denseWeight(fanIn: 1280, fanOut: 64)
    let limit = GlorotUniform.limit(fanIn: 1280, fanOut: 64)
    #expect(abs(limit - Float((6.0 / 1344).squareRoot())) < 1e-7)
    #expect(w.shape == [64, 1280])
    let s = w.scalars
    #expect(s.allSatisfy { $0 >= -limit && $0 < limit })
    let mean = s.reduce(0, +) / Float(s.count)
    let variance = s.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(s.count)
    // U(-l, l) has variance l²/3 = 2 / (fanIn + fanOut).
    #expect(abs(mean) < 0.01 * limit)
    #expect(abs(variance / (limit * limit / 3) - 1) < 0.03)
    #expect(s.max()! > 0.99 * limit && s.min()! < -0.99 * limit)
}

@Test func sameSeedGivesTheSameBits() throws {
    func head(seed: UInt64) throws -> [UInt32] {
        var g = try smallClassifier()
        try GraftHead(HeadSpec(kind: .classes(4), hidden: 8, seed: seed)).apply(to: &g)
        return (g.parameters["head/hidden/weight"]!.tensor.scalars + g.parameters["head/dense/weight"]!.tensor.scalars).map(\.bitPattern)
    }
    #expect(try head(seed: 5) == head(seed: 5))
    #expect(try head(seed: 5) != head(seed: 6))
    // The generator is SplitMix64; its first output for seed 0 is a published constant.
    var generator = GlorotUniform(seed: 0)
    #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
}
