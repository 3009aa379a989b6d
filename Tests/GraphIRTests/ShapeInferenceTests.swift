import Testing
import TensorCore
@testable import GraphIR

private let batch = Dim.symbol("batch")

private func input(_ name: String, _ dims: [Dim]) -> GraphInput {
    GraphInput(name: name, type: ValueType(.float32, Shape(dims)))
}

private func weight(_ shape: [Int]) -> Parameter {
    Parameter(Tensor(zeros: shape))
}

private func ints(_ values: [Int64]) -> Parameter {
    Parameter(Tensor(shape: [values.count], int64s: values), role: .constant)
}

@Test func convolutionWithSamePaddingAndStrideTwoRoundsUp() throws {
    // 225 / 2 rounded up is 113; a 3x3 window needs a total pad of 2 there.
    var g = Graph(name: "conv", inputs: [input("x", [batch, 3, 225, 225])], outputs: ["y"],
                  nodes: [Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [3, 3], strides: [2, 2], autoPad: .sameUpper)),
                               inputs: ["x", "w"], outputs: ["y"])],
                  parameters: ["w": weight([8, 3, 3, 3])])
    try ShapeInference.infer(&g)
    #expect(g.valueTypes["y"] == ValueType(.float32, Shape([batch, .known(8), .known(113), .known(113)])))
    #expect(Padding.same(input: 225, kernel: 3, stride: 2, dilation: 1) == (1, 1))
    #expect(Padding.same(input: 224, kernel: 3, stride: 2, dilation: 1) == (0, 1))
}

@Test func depthwiseConvolutionChecksChannelsAgainstGroups() {
    var g = Graph(name: "dw", inputs: [input("x", [batch, 16, 8, 8])], outputs: ["y"],
                  nodes: [Node(name: "dw", op: .conv2d(Conv2DAttributes(kernel: [3, 3], pads: [1, 1, 1, 1], group: 8)),
                               inputs: ["x", "w"], outputs: ["y"])],
                  parameters: ["w": weight([8, 1, 3, 3])])
    #expect(throws: GraphError.self) { try ShapeInference.infer(&g) }
}

/// The padding subgraph PyTorch exports for `F.pad(x, [l, r, t, b])`: the pads
/// are computed from the input's shape (whose batch dimension is symbolic),
/// extended to 8 values, paired, reversed and transposed into ONNX order.
@Test func padsComputedFromTheInputShapeResolveToNumbers() throws {
    let nodes = [
        Node(name: "shape", op: .shape(start: 0, end: nil), inputs: ["x"], outputs: ["s"]),
        Node(name: "h", op: .gather(axis: 0), inputs: ["s", "two"], outputs: ["h"]),
        Node(name: "minus", op: .sub, inputs: ["h", "h223"], outputs: ["extra"]),          // 224 - 223 = 1
        Node(name: "unsq", op: .unsqueeze(axes: [0]), inputs: ["extra"], outputs: ["extra1"]),
        Node(name: "zeros", op: .constantOfShape(value: 0, dtype: .int64), inputs: ["four"], outputs: ["z"]),
        Node(name: "cat", op: .concat(axis: 0), inputs: ["extra1", "extra1", "extra1", "extra1", "z"], outputs: ["pads8"]),
        Node(name: "pairs", op: .reshape, inputs: ["pads8", "shape42"], outputs: ["p42"]),
        Node(name: "rev", op: .slice, inputs: ["p42", "m1", "big", "zero", "m1"], outputs: ["rev"]),
        Node(name: "t", op: .transpose(perm: [1, 0]), inputs: ["rev"], outputs: ["p24"]),
        Node(name: "flat", op: .reshape, inputs: ["p24", "m1"], outputs: ["pads"]),
        Node(name: "cast", op: .cast(to: .int64), inputs: ["pads"], outputs: ["pads64"]),
        Node(name: "pad", op: .pad(mode: .constant, value: 0), inputs: ["x", "pads64"], outputs: ["y"]),
    ]
    var g = Graph(name: "pad", inputs: [input("x", [batch, 3, 224, 224])], outputs: ["y"], nodes: nodes,
                  parameters: ["two": Parameter(Tensor(shape: [], int64s: [2]), role: .constant),
                               "h223": Parameter(Tensor(shape: [], int64s: [223]), role: .constant),
                               "four": ints([4]), "m1": ints([-1]), "big": ints([Int64.min]), "zero": ints([0]),
                               "shape42": ints([-1, 2])])
    try GraphVerifier.verify(g)
    // [1,1,1,1,0,0,0,0] → [[1,1],[1,1],[0,0],[0,0]] → rows reversed → transposed → [0,0,1,1, 0,0,1,1]
    #expect(try ShapeInference.knownValues(g)["pads64"]?.ints == [0, 0, 1, 1, 0, 0, 1, 1])
    try ShapeInference.infer(&g)
    #expect(g.valueTypes["y"]?.shape == Shape([batch, 3, 226, 226]))
}

@Test func reshapeInfersMinusOneAcrossTheSymbolicBatch() throws {
    var g = Graph(name: "r", inputs: [input("x", [batch, 1280, 1, 1])], outputs: ["y"],
                  nodes: [Node(name: "r", op: .reshape, inputs: ["x", "t"], outputs: ["y"])],
                  parameters: ["t": ints([-1, 1280])])
    try ShapeInference.infer(&g)
    #expect(g.valueTypes["y"]?.shape == Shape([batch, .known(1280)]))
}

@Test func gemmRefusesMismatchedInnerDimensions() {
    var g = Graph(name: "fc", inputs: [input("x", [batch, 1280])], outputs: ["y"],
                  nodes: [Node(name: "fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["x", "w", "b"], outputs: ["y"])],
                  parameters: ["w": weight([1000, 1024]), "b": weight([1000])])
    #expect(throws: GraphError.self) { try ShapeInference.infer(&g) }
}

@Test func verifierFindsUndefinedInputsAndCycles() {
    let undefined = Graph(name: "u", inputs: [input("x", [1])], outputs: ["y"],
                          nodes: [Node(name: "n", op: .relu, inputs: ["nope"], outputs: ["y"])])
    #expect(throws: GraphError.undefinedValue(node: "n", value: "nope")) { try GraphVerifier.verify(undefined) }

    var cyclic = Graph(name: "c", inputs: [input("x", [1])], outputs: ["b"],
                       nodes: [Node(name: "a", op: .add, inputs: ["x", "b"], outputs: ["a"]),
                               Node(name: "b", op: .relu, inputs: ["a"], outputs: ["b"])])
    #expect(throws: GraphError.cycle(nodes: ["a", "b"])) { try cyclic.sortTopologically() }
}

@Test func sortingPutsProducersFirst() throws {
    var g = Graph(name: "s", inputs: [input("x", [2])], outputs: ["z"],
                  nodes: [Node(name: "second", op: .relu, inputs: ["y"], outputs: ["z"]),
                          Node(name: "first", op: .sigmoid, inputs: ["x"], outputs: ["y"])])
    try g.sortTopologically()
    #expect(g.nodes.map(\.name) == ["first", "second"])
}

/// Shapes computed from constants say anything a file wants: negative or overflowing
/// sizes are a `GraphError` naming the node, never an arithmetic trap or a huge allocation.
enum HostileShape: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case constantOfShapeOverflows, constantOfShapeNegative, reshapeTargetOverflows, padsOverflow, inputShapeOverflows

    var testDescription: String { rawValue }

    var graph: Graph {
        let x = GraphInput(name: "x", type: ValueType(.float32, Shape(known: [1, 1])))
        switch self {
        case .constantOfShapeOverflows, .constantOfShapeNegative:
            let shape: [Int64] = self == .constantOfShapeOverflows ? [1 << 32, 1 << 32] : [-1, 5]
            return Graph(name: rawValue, inputs: [x], outputs: ["y"],
                         nodes: [Node(name: "big", op: .constantOfShape(value: 1, dtype: .int64), inputs: ["shape"], outputs: ["y"])],
                         parameters: ["shape": ints(shape)])
        case .reshapeTargetOverflows:
            return Graph(name: rawValue, inputs: [x], outputs: ["y"],
                         nodes: [Node(name: "big", op: .reshape, inputs: ["x", "shape"], outputs: ["y"])],
                         parameters: ["shape": ints([1 << 32, 1 << 32])])
        case .padsOverflow:
            return Graph(name: rawValue, inputs: [x], outputs: ["y"],
                         nodes: [Node(name: "big", op: .pad(mode: .constant, value: 0), inputs: ["x", "pads"], outputs: ["y"])],
                         parameters: ["pads": ints([0, .max, 0, 1])])
        case .inputShapeOverflows:
            return Graph(name: rawValue, inputs: [GraphInput(name: "x", type: ValueType(.float32, Shape(known: [1 << 32, 1 << 32])))],
                         outputs: ["y"], nodes: [Node(name: "big", op: .flatten(axis: 2), inputs: ["x"], outputs: ["y"])])
        }
    }
}

@Test(arguments: HostileShape.allCases)
func hostileShapeIsAGraphErrorNamingTheNode(_ shape: HostileShape) throws {
    var g = shape.graph
    let error = try #require(throws: GraphError.self) { try ShapeInference.infer(&g) }
    let expected = shape == .inputShapeOverflows ? "'x'" : "'big'"
    #expect(error.description.contains(expected), "\(error)")
    #expect(throws: GraphError.self) { _ = try ShapeInference.knownValues(shape.graph) }
}
