import Backprop
import GraphIR
import TensorCore
import Testing
import TestSupport

/// Pooling, spatial means, concat, pad, reshape/flatten/squeeze/unsqueeze, transpose, gemm and matMul.
struct LayoutOpsBackpropTests {
    static let pools: [Op] = [
        .averagePool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1])),
        .averagePool(PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true)),
        .averagePool(PoolAttributes(kernel: [2, 2], strides: [2, 2], ceilMode: true)),
        .maxPool(PoolAttributes(kernel: [2, 2], strides: [2, 2])),
        .maxPool(PoolAttributes(kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1])),
        .maxPool(PoolAttributes(kernel: [3, 3], strides: [2, 2], autoPad: .sameUpper)),
        .globalAveragePool,
        .reduceMean(axes: [2, 3], keepDims: true),
        .reduceMean(axes: [-1, -2], keepDims: false),
    ]

    @Test(arguments: pools)
    func pooling(_ op: Op) throws {
        let g = try graph([3, 5, 5],
                          [pointwise("pre", "x", "p"), Node(name: "pool", op: op, inputs: ["p"], outputs: ["y"])],
                          ["pre.w": param([3, 3, 1, 1], seed: 1)])
        let check = try checkGradients(g, trainable: ["pre.w"], step: 1e-3)
        #expect(check.worst <= 1e-3, "\(check)")
    }

    @Test(arguments: [1, 2, 3, -1])
    func concat(_ axis: Int) throws {
        let other = axis == 1 ? [1, 2, 1, 1] : [1, 3, 1, 1]
        let g = try graph([3, 4, 5],
                          [pointwise("a", "x", "p"), Node(name: "b", op: .conv2d(Conv2DAttributes(kernel: [1, 1])), inputs: ["x", "b.w"], outputs: ["q"]),
                           Node(name: "cat", op: .concat(axis: axis), inputs: ["p", "q", "p"], outputs: ["y"])],
                          ["a.w": param([3, 3, 1, 1], seed: 1), "b.w": param([other[1] == 2 ? 2 : 3, 3, 1, 1], seed: 2)])
        let check = try checkGradients(g, trainable: ["a.w", "b.w"])
        #expect(check.worst <= 1e-3, "\(check)")
    }

    @Test func pad() throws {
        let g = try graph([3, 4, 5],
                          [pointwise("pre", "x", "p"),
                           Node(name: "pad", op: .pad(mode: .constant, value: 0.5), inputs: ["p", "pads"], outputs: ["q"]),
                           Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [3, 3], strides: [2, 2])), inputs: ["q", "w"], outputs: ["y"])],
                          ["pre.w": param([3, 3, 1, 1], seed: 1), "w": param([2, 3, 3, 3], seed: 2),
                           "pads": ints([0, 0, 1, 2, 0, 0, 2, 1])])
        let check = try checkGradients(g, trainable: ["pre.w", "w"])
        #expect(check.worst <= 1e-3, "\(check)")
        // The padded border holds the pad value.
        let tg = try TrainableGraph(g, trainable: [], batchNorm: .frozen)
        var h = g
        h.outputs = ["q"]
        h.nodes.removeLast()
        let padded = try TrainableGraph(h, trainable: [], batchNorm: .frozen).forward(Tensor(zeros: [1, 3, 4, 5]), training: false)
        #expect(padded.shape == [1, 3, 7, 8])
        #expect(padded.scalars[0] == 0.5 && padded.scalars[8 + 2] == 0)
        _ = tg
    }

    /// conv → global pool → squeeze → unsqueeze → reshape(0, -1) → flatten → gemm.
    @Test(arguments: [false, true])
    func shapeOpsAndGemm(_ transB: Bool) throws {
        let g = try graph([3, 4, 5],
                          [pointwise("pre", "x", "p"),
                           Node(name: "pool", op: .globalAveragePool, inputs: ["p"], outputs: ["m"]),
                           Node(name: "sq", op: .squeeze(axes: [2, 3]), inputs: ["m"], outputs: ["s"]),
                           Node(name: "unsq", op: .unsqueeze(axes: [1]), inputs: ["s"], outputs: ["u"]),
                           Node(name: "reshape", op: .reshape, inputs: ["u", "shape"], outputs: ["r"]),
                           Node(name: "flat", op: .flatten(axis: 1), inputs: ["r"], outputs: ["f"]),
                           Node(name: "fc", op: .gemm(GemmAttributes(alpha: 0.5, beta: 2, transB: transB)), inputs: ["f", "w", "b"], outputs: ["y"])],
                          ["pre.w": param([3, 3, 1, 1], seed: 1), "w": param(transB ? [4, 3] : [3, 4], seed: 2),
                           "b": param([4], seed: 3), "shape": ints([0, -1])])
        let check = try checkGradients(g, trainable: ["pre.w", "w", "b"], batch: 3)
        #expect(check.worst <= 1e-3, "\(check)")
    }

    /// conv → transpose to NHWC → flatten → matMul [H·W·C, 5].
    @Test func transposeAndMatMul() throws {
        let g = try graph([3, 2, 4],
                          [pointwise("pre", "x", "p"),
                           Node(name: "t", op: .transpose(perm: [0, 2, 3, 1]), inputs: ["p"], outputs: ["t"]),
                           Node(name: "flat", op: .flatten(axis: 1), inputs: ["t"], outputs: ["f"]),
                           Node(name: "mm", op: .matMul, inputs: ["f", "w"], outputs: ["y"])],
                          ["pre.w": param([3, 3, 1, 1], seed: 1), "w": param([24, 5], seed: 2)])
        let check = try checkGradients(g, trainable: ["pre.w", "w"])
        #expect(check.worst <= 1e-3, "\(check)")
    }

    /// Forward of the layout ops equals the reference runtime.
    @Test func transposeForwardIsNHWC() throws {
        let g = try graph([2, 1, 3],
                          [Node(name: "t", op: .transpose(perm: [0, 2, 3, 1]), inputs: ["x"], outputs: ["y"])], [:])
        let y = try TrainableGraph(g, trainable: [], batchNorm: .frozen).forward(Tensor(shape: [1, 2, 1, 3], scalars: [1, 2, 3, 4, 5, 6]), training: false)
        #expect(y.shape == [1, 1, 3, 2])
        #expect(y.scalars == [1, 4, 2, 5, 3, 6])
    }
}
