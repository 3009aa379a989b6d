import Runtime
import GraphIR
import Surgery
import TensorCore

/// x[N, 3, 8, 8] → conv(3×3, 4) → relu → global pool → flatten → gemm(5) → softmax.
func smallClassifier() throws -> Graph {
    try makeGraph(
        inputs: [("x", Shape([batchDim, 3, 8, 8]))], outputs: ["y"],
        nodes: [Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [3, 3], pads: [1, 1, 1, 1])), inputs: ["x", "conv.w", "conv.b"], outputs: ["c"]),
                Node(name: "relu", op: .relu, inputs: ["c"], outputs: ["r"]),
                Node(name: "pool", op: .globalAveragePool, inputs: ["r"], outputs: ["p"]),
                Node(name: "flatten", op: .flatten(axis: 1), inputs: ["p"], outputs: ["f"]),
                Node(name: "fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["f", "fc.w", "fc.b"], outputs: ["z"]),
                Node(name: "softmax", op: .softmax(axis: 1), inputs: ["z"], outputs: ["y"])],
        parameters: ["conv.w": seeded([4, 3, 3, 3], seed: 1), "conv.b": seeded([4], seed: 2),
                     "fc.w": seeded([5, 4], seed: 3), "fc.b": seeded([5], seed: 4)])
}

/// x[N, 2, 4, 4] → conv a → relu → add(x-branch) → conv b → relu → add → conv c: two residual merges.
func residualChain() throws -> Graph {
    func conv(_ name: String, _ input: String, _ out: String) -> Node {
        Node(name: name, op: .conv2d(Conv2DAttributes(kernel: [1, 1])), inputs: [input, "\(name).w"], outputs: [out])
    }
    return try makeGraph(
        inputs: [("x", Shape([batchDim, 2, 4, 4]))], outputs: ["out"],
        nodes: [conv("stem", "x", "s"),
                conv("a", "s", "a1"), Node(name: "a_relu", op: .relu, inputs: ["a1"], outputs: ["a2"]),
                Node(name: "a_add", op: .add, inputs: ["s", "a2"], outputs: ["a3"]),
                conv("b", "a3", "b1"), Node(name: "b_relu", op: .relu, inputs: ["b1"], outputs: ["b2"]),
                Node(name: "b_add", op: .add, inputs: ["a3", "b2"], outputs: ["b3"]),
                conv("c", "b3", "out")],
        parameters: ["stem.w": seeded([2, 2, 1, 1], seed: 1), "a.w": seeded([2, 2, 1, 1], seed: 2),
                     "b.w": seeded([2, 2, 1, 1], seed: 3), "c.w": seeded([2, 2, 1, 1], seed: 4)])
}

/// The outputs of `graph` with `value` as its only output.
func valueOf(_ value: String, in graph: Graph, inputs: [String: Tensor]) throws -> Tensor {
    var g = graph
    g.outputs = [value]
    return try Planner.compile(g).run(inputs)[value]!
}
