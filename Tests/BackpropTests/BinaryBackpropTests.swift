import Backprop
import GraphIR
import TensorCore
import Testing
import TestSupport

/// add, sub, mul, div with broadcasting: bias-like parameters, squeeze-excite scaling
/// `[N, C, H, W] * [N, C, 1, 1]`, two activations, and 2-D operands.
struct BinaryBackpropTests {
    static let ops: [Op] = [.add, .sub, .mul, .div]

    @Test(arguments: ops, [[1, 3, 1, 1], [3, 1, 1], [3, 4, 5], [1], [5]])
    func activationWithParameter(_ op: Op, _ bShape: [Int]) throws {
        let g = try graph([3, 4, 5],
                          [pointwise("pre", "x", "p"), Node(name: "op", op: op, inputs: ["p", "b"], outputs: ["y"])],
                          ["pre.w": param([3, 3, 1, 1], seed: 1), "b": param(bShape, seed: 2, in: 1...2)])
        let check = try checkGradients(g, trainable: ["pre.w", "b"])
        #expect(check.worst <= 1e-3, "\(check)")
    }

    @Test(arguments: ops)
    func parameterFirstOperand(_ op: Op) throws {
        let g = try graph([3, 4, 5],
                          [pointwise("pre", "x", "p"), Node(name: "op", op: op, inputs: ["b", "p"], outputs: ["y"])],
                          ["pre.w": param([3, 3, 1, 1], seed: 1, in: 1...2), "b": param([3, 1, 1], seed: 2)])
        // div: keep the denominator (a 1×1 conv of inputs in [1, 2] with weights in [1, 2]) away from 0.
        let check = try checkGradients(g, trainable: ["pre.w", "b"], inputRange: 1...2, step: 1e-3)
        #expect(check.worst <= 1e-3, "\(check)")
    }

    /// Squeeze-excite: y = a * sigmoid(mean(a)), both operands computed.
    @Test(arguments: ops)
    func squeezeExcite(_ op: Op) throws {
        let g = try graph([3, 4, 5],
                          [pointwise("pre", "x", "a"),
                           Node(name: "pool", op: .globalAveragePool, inputs: ["a"], outputs: ["m"]),
                           Node(name: "gate", op: .sigmoid, inputs: ["m"], outputs: ["s"]),
                           Node(name: "op", op: op, inputs: ["a", "s"], outputs: ["y"])],
                          ["pre.w": param([3, 3, 1, 1], seed: 1)])
        let check = try checkGradients(g, trainable: ["pre.w"], step: 1e-3)
        #expect(check.worst <= 1e-3, "\(check)")
    }

    /// A residual: y = conv1(x) + conv2(conv1(x)) — the same value read twice accumulates.
    @Test func residualAccumulates() throws {
        let g = try graph([3, 4, 5],
                          [pointwise("c1", "x", "a"), pointwise("c2", "a", "b"),
                           Node(name: "add", op: .add, inputs: ["a", "b"], outputs: ["y"])],
                          ["c1.w": param([3, 3, 1, 1], seed: 1), "c2.w": param([3, 3, 1, 1], seed: 2)])
        let check = try checkGradients(g, trainable: ["c1.w", "c2.w"])
        #expect(check.worst <= 1e-3, "\(check)")
    }

    /// 2-D: features [N, F] times a parameter row.
    @Test(arguments: ops)
    func twoDimensional(_ op: Op) throws {
        let g = try graph([6],
                          [Node(name: "fc", op: .gemm(GemmAttributes(transB: true)), inputs: ["x", "w"], outputs: ["f"]),
                           Node(name: "op", op: op, inputs: ["f", "b"], outputs: ["y"])],
                          ["w": param([4, 6], seed: 1), "b": param([1, 4], seed: 2, in: 1...2)])
        let check = try checkGradients(g, trainable: ["w", "b"], batch: 3)
        #expect(check.worst <= 1e-3, "\(check)")
    }
}
