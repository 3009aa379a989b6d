import Foundation
import GraphIR
import KerasFormat
import ONNXFormat
import Runtime
import Surgery
import Testing
import TensorCore
import TestSupport

/// Seeded uniform inputs in [-1, 1) for every graph input, with batch `batch`.
func seededInputs(for graph: Graph, batch: Int = 2, seed: UInt64 = 7) -> [String: Tensor] {
    var generator = SeededGenerator(seed: seed)
    var inputs: [String: Tensor] = [:]
    for input in graph.inputs {
        let shape = input.type.shape.dims.map { $0.value ?? batch }
        let count = shape.reduce(1, *)
        inputs[input.name] = Tensor(shape: shape, scalars: (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) })
    }
    return inputs
}

/// The largest `|after - before|` over all outputs, relative to `max(1, max |before|)`.
/// Records an issue and returns infinity when outputs are missing or shaped differently.
func relativeDifference(_ before: Graph, _ after: Graph, batch: Int = 2, seed: UInt64 = 7,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> Float {
    let inputs = seededInputs(for: before, batch: batch, seed: seed)
    let expected = try Planner.compile(before).run(inputs)
    let actual = try Planner.compile(after).run(inputs)
    var worst: Float = 0
    for (name, e) in expected {
        guard let a = actual[name], a.shape == e.shape else {
            Issue.record("output \(name) missing or reshaped after simplification", sourceLocation: sourceLocation)
            return .infinity
        }
        let ev = e.scalars, av = a.scalars
        let scale = max(1, ev.map(abs).max() ?? 1)
        for (x, y) in zip(ev, av) { worst = max(worst, abs(x - y) / scale) }
    }
    return worst
}

/// Loads one of the real models.
func loadRealModel(_ model: RealModel) throws -> Graph {
    let url = try Fixtures.realModel(model)
    return url.pathExtension == "h5" ? try KerasImporter.load(url: url) : try ONNXImporter.load(url: url)
}

/// Runs one pass (then dead-node removal), re-sorts, infers and verifies.
@discardableResult
func runPass(_ pass: some GraphPass, on graph: inout Graph) throws -> Int {
    let n = try pass.run(on: &graph)
    _ = try RemoveDeadNodes().run(on: &graph)
    try graph.sortTopologically()
    try ShapeInference.infer(&graph)
    try GraphVerifier.verify(graph)
    return n
}

/// A typed graph from nodes and parameters, inputs given as `(name, shape)`.
func makeGraph(inputs: [(String, Shape)], outputs: [String], nodes: [Node],
               parameters: [String: Parameter]) throws -> Graph {
    var g = Graph(name: "test", inputs: inputs.map { GraphInput(name: $0.0, type: ValueType(.float32, $0.1)) },
                  outputs: outputs, nodes: nodes, parameters: parameters)
    try g.sortTopologically()
    try ShapeInference.infer(&g)
    try GraphVerifier.verify(g)
    return g
}

func index(of name: String, in graph: Graph) -> Int { graph.nodes.firstIndex { $0.name == name }! }

func ops(_ graph: Graph) -> [String] { graph.nodes.map(\.op.name) }

func weight(_ shape: [Int], _ scalars: [Float], trainable: Bool = true) -> Parameter {
    Parameter(Tensor(shape: shape, scalars: scalars), role: .weight, trainable: trainable)
}

func seeded(_ shape: [Int], seed: UInt64, role: ParameterRole = .weight, positive: Bool = false) -> Parameter {
    var generator = SeededGenerator(seed: seed)
    let count = shape.reduce(1, *)
    let values = (0..<count).map { _ in positive ? Float.random(in: 0.5..<1.5, using: &generator) : Float.random(in: -1..<1, using: &generator) }
    return Parameter(Tensor(shape: shape, scalars: values), role: role)
}

let batchDim = Dim.symbol("N")
