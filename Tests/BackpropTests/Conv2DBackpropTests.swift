import Backprop
import GraphIR
import TensorCore
import Testing
import TestSupport

/// conv2d forward and backward against central differences: every code path
/// (pointwise GEMM, im2col, depthwise) with strides, padding, dilation and groups.
struct Conv2DBackpropTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var attributes: Conv2DAttributes
        var outChannels: Int
        var bias = true
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "pointwise", attributes: Conv2DAttributes(kernel: [1, 1]), outChannels: 6),
        Case(name: "3x3 padded", attributes: Conv2DAttributes(kernel: [3, 3], pads: [1, 1, 1, 1]), outChannels: 5),
        Case(name: "3x3 stride 2 asymmetric pads", attributes: Conv2DAttributes(kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1]), outChannels: 3),
        Case(name: "3x3 dilation 2", attributes: Conv2DAttributes(kernel: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2]), outChannels: 3, bias: false),
        Case(name: "3x2 valid", attributes: Conv2DAttributes(kernel: [3, 2], autoPad: .valid), outChannels: 2),
        Case(name: "same upper stride 2", attributes: Conv2DAttributes(kernel: [3, 3], strides: [2, 2], autoPad: .sameUpper), outChannels: 4),
        Case(name: "1x1 stride 2", attributes: Conv2DAttributes(kernel: [1, 1], strides: [2, 2]), outChannels: 4),
        Case(name: "grouped", attributes: Conv2DAttributes(kernel: [3, 3], pads: [1, 1, 1, 1], group: 2), outChannels: 6),
        Case(name: "depthwise", attributes: Conv2DAttributes(kernel: [3, 3], pads: [1, 1, 1, 1], group: 4), outChannels: 4),
        Case(name: "depthwise stride 2 same", attributes: Conv2DAttributes(kernel: [3, 3], strides: [2, 2], autoPad: .sameUpper, group: 4), outChannels: 4, bias: false),
        Case(name: "depthwise 5x5 dilated", attributes: Conv2DAttributes(kernel: [5, 5], dilations: [1, 2], pads: [2, 4, 2, 4], group: 4), outChannels: 4),
        Case(name: "depthwise multiplier 2", attributes: Conv2DAttributes(kernel: [3, 3], pads: [1, 1, 1, 1], group: 4), outChannels: 8),
    ]

    @Test(arguments: cases)
    func matchesFiniteDifferences(_ c: Case) throws {
        let inC = 4
        let a = c.attributes
        let w = [c.outChannels, inC / a.group, a.kernel[0], a.kernel[1]]
        var params: [String: Parameter] = ["pre.w": param([inC, inC, 1, 1], seed: 1), "conv.w": param(w, seed: 2)]
        if c.bias { params["conv.b"] = param([c.outChannels], seed: 3) }
        let g = try graph([inC, 7, 6],
                          [pointwise("pre", "x", "p"),
                           Node(name: "conv", op: .conv2d(a), inputs: ["p", "conv.w", c.bias ? "conv.b" : ""], outputs: ["y"])],
                          params)
        let check = try checkGradients(g, trainable: Set(params.keys))
        #expect(check.worst <= 1e-3, "\(check)")
    }

    /// y = w·x + b on one channel: dL/dw = Σ x·r, dL/db = Σ r by hand.
    @Test func handDerivedPointwise() throws {
        let g = try graph([1, 1, 2],
                          [Node(name: "conv", op: .conv2d(Conv2DAttributes(kernel: [1, 1])), inputs: ["x", "w", "b"], outputs: ["y"])],
                          ["w": Parameter(Tensor(shape: [1, 1, 1, 1], scalars: [2])), "b": Parameter(Tensor(shape: [1], scalars: [0.5]))])
        let tg = try TrainableGraph(g, trainable: ["w", "b"], batchNorm: .frozen)
        let y = try tg.forward(Tensor(shape: [1, 1, 1, 2], scalars: [1, 3]), training: true)
        #expect(y.scalars == [2.5, 6.5])
        let grads = try tg.backward(Tensor(shape: [1, 1, 1, 2], scalars: [1, -2]))
        #expect(grads["w"]!.scalars == [1 * 1 + 3 * -2])
        #expect(grads["b"]!.scalars == [-1])
    }

    @Test func unsupportedOpIsNamed() throws {
        let g = try graph([3], [Node(name: "sm", op: .softmax(axis: 1), inputs: ["x"], outputs: ["y"])], [:])
        #expect {
            _ = try TrainableGraph(g, trainable: [], batchNorm: .frozen)
        } throws: { error in
            "\(error)".contains("'sm'") && "\(error)".contains("softmax")
        }
    }
}
