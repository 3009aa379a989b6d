import Testing
import TensorCore
import GraphIR
@testable import Surgery

private let batch = Dim.symbol("batch")

/// x → conv → relu → global pool → [pre] → head nodes → output
private func backbone(then head: [Node], parameters: [String: Parameter], output: String) throws -> Graph {
    var params = parameters
    params["conv.w"] = Parameter(Tensor(zeros: [16, 3, 3, 3]))
    var g = Graph(name: "m", inputs: [GraphInput(name: "x", type: ValueType(.float32, Shape([batch, 3, 32, 32])))],
                  outputs: [output],
                  nodes: [Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [3, 3])), inputs: ["x", "conv.w"], outputs: ["c"]),
                          Node(name: "relu", op: .relu, inputs: ["c"], outputs: ["r"]),
                          Node(name: "pool", op: .globalAveragePool, inputs: ["r"], outputs: ["p"])] + head,
                  parameters: params)
    try ShapeInference.infer(&g)
    return g
}

@Test func findsGemmHeadAfterFlattenAndCutsAtThePooledFeatures() throws {
    // The EfficientNet-Lite0 export's shape: pool → Flatten → Gemm (logits, no softmax).
    let g = try backbone(then: [
        Node(name: "flatten", op: .flatten(axis: 1), inputs: ["p"], outputs: ["f"]),
        Node(name: "fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["f", "fc.w", "fc.b"], outputs: ["logits"]),
    ], parameters: ["fc.w": Parameter(Tensor(zeros: [10, 16])), "fc.b": Parameter(Tensor(zeros: [10]))], output: "logits")
    let head = try #require(HeadDetector.detect(in: g))
    #expect(head.nodes == ["fc"])
    #expect(head.dense == [.init(node: "fc", inputFeatures: 16, outputFeatures: 10)])
    #expect(head.activation == "none")
    #expect(head.cutValue == "f")
    #expect(head.featureShape == "[batch, 16]")
    #expect(head.pooling == "pool")
}

@Test func includesTheDropoutBeforeTheDenseAndTheSoftmaxAfterIt() throws {
    // The Keras shape: pool (keepdims false) → Dropout → Dense → softmax.
    let g = try backbone(then: [
        Node(name: "squeeze", op: .reshape, inputs: ["p", "shape"], outputs: ["f"]),
        Node(name: "dropout", op: .dropout(ratio: 0.3), inputs: ["f"], outputs: ["d"]),
        Node(name: "dense", op: .gemm(GemmAttributes(transB: true)), inputs: ["d", "w", "b"], outputs: ["z"]),
        Node(name: "softmax", op: .softmax(axis: 1), inputs: ["z"], outputs: ["y"]),
    ], parameters: ["w": Parameter(Tensor(zeros: [19, 16])), "b": Parameter(Tensor(zeros: [19])),
                    "shape": Parameter(Tensor(shape: [2], int64s: [-1, 16]), role: .constant)], output: "y")
    let head = try #require(HeadDetector.detect(in: g))
    #expect(head.nodes == ["dropout", "dense", "softmax"])
    #expect(head.classes == 19)
    #expect(head.activation == "softmax")
    #expect(head.cutValue == "f")
    #expect(head.cutNode == "squeeze")
}

@Test func matMulWithBiasAddIsOneDenseLayer() throws {
    // open_nsfw's shape: MatMul → Add(bias) → Softmax.
    let g = try backbone(then: [
        Node(name: "flatten", op: .flatten(axis: 1), inputs: ["p"], outputs: ["f"]),
        Node(name: "mm", op: .matMul, inputs: ["f", "w"], outputs: ["m"]),
        Node(name: "bias", op: .add, inputs: ["m", "b"], outputs: ["z"]),
        Node(name: "softmax", op: .softmax(axis: -1), inputs: ["z"], outputs: ["y"]),
    ], parameters: ["w": Parameter(Tensor(zeros: [16, 2])), "b": Parameter(Tensor(zeros: [2]))], output: "y")
    let head = try #require(HeadDetector.detect(in: g))
    #expect(head.nodes == ["mm", "bias", "softmax"])
    #expect(head.dense.map(\.outputFeatures) == [2])
}

@Test func aGraphEndingInAConvolutionHasNoHead() throws {
    let g = try backbone(then: [], parameters: [:], output: "r")
    #expect(HeadDetector.detect(in: g) == nil)
}
