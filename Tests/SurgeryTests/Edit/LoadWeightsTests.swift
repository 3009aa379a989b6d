import Testing
import TensorCore
import GraphIR
@testable import Surgery

private func graph(_ params: [String: [Float]]) -> Graph {
    var g = Graph(name: "g")
    for (name, values) in params { g.parameters[name] = Parameter(Tensor(shape: [values.count], scalars: values)) }
    g.parameters["shape"] = Parameter(Tensor(shape: [1], int64s: [-1]), role: .constant)
    return g
}

@Test func copiesExactNamesThenUniqueLayerEndings() throws {
    var target = graph(["Conv1/kernel": [0, 0], "head/kernel": [0]])
    let source = graph(["outer/Conv1/kernel": [1, 2], "dense/kernel": [5]])
    let report = try LoadWeights().apply(from: source, to: &target)
    #expect(report.matched == ["Conv1/kernel"])
    #expect(report.missingInSource == ["head/kernel"])
    #expect(report.unusedFromSource == ["dense/kernel"])
    #expect(target.parameters["Conv1/kernel"]?.tensor.scalars == [1, 2])
    #expect(target.parameters["head/kernel"]?.tensor.scalars == [0])
}

@Test func aShapeMismatchChangesNothing() {
    var target = graph(["a": [0, 0], "b": [0]])
    let source = graph(["a": [1, 2], "b": [1, 2, 3]])
    #expect(throws: SurgeryError.weightShapeMismatch(name: "b", model: [1], source: [3])) {
        try LoadWeights().apply(from: source, to: &target)
    }
    #expect(target.parameters["a"]?.tensor.scalars == [0, 0])
}

@Test func noCommonNameIsAnError() {
    var target = graph(["a": [0]])
    #expect(throws: SurgeryError.self) { try LoadWeights().apply(from: graph(["z": [1]]), to: &target) }
}
