import Backprop
import GraphIR
import TensorCore
import Testing
import TestSupport

/// Elementwise activations and dropout. A trainable per-channel scale in [0.5, 1.5] sits
/// before each op, so its gradient goes through the op's input gradient; a scale away from 0
/// keeps perturbations from crossing the kinks of relu/clip at 0.
struct ActivationBackpropTests {
    struct Case: CustomStringConvertible, Sendable {
        var op: Op
        var range: ClosedRange<Float>
        var description: String { op.name }
    }

    static let cases: [Case] = [
        Case(op: .relu, range: -2...2),
        Case(op: .clip(min: 0, max: 6), range: -8...8),
        Case(op: .clip(min: -1, max: 1), range: -3...3),
        Case(op: .sigmoid, range: -4...4),
        Case(op: .hardSigmoid(alpha: 0.2, beta: 0.5), range: -4...4),
        Case(op: .hardSwish, range: -5...5),
        Case(op: .swish, range: -4...4),
        Case(op: .identity, range: -1...1),
        Case(op: .dropout(ratio: 0), range: -1...1),
    ]

    @Test(arguments: cases)
    func matchesFiniteDifferences(_ c: Case) throws {
        let g = try graph([3, 4, 4],
                          [Node(name: "scale", op: .mul, inputs: ["x", "s"], outputs: ["p"]),
                           Node(name: "act", op: c.op, inputs: ["p"], outputs: ["y"])],
                          ["s": param([1, 3, 1, 1], seed: 4, in: 0.5...1.5)])
        let check = try checkGradients(g, trainable: ["s"], inputRange: c.range, step: 1e-3)
        #expect(check.worst <= 1e-3, "\(check)")
    }

    /// Dropout in training: y = x·s·mask/(1-p), so dL/ds = Σ r·y/s; at inference y = x·s.
    @Test func dropoutMaskScalesGradient() throws {
        let g = try graph([50],
                          [Node(name: "scale", op: .mul, inputs: ["x", "s"], outputs: ["p"]),
                           Node(name: "drop", op: .dropout(ratio: 0.5), inputs: ["p"], outputs: ["y"])],
                          ["s": Parameter(Tensor(shape: [1], scalars: [2]))])
        let tg = try TrainableGraph(g, trainable: ["s"], batchNorm: .frozen, seed: 3)
        let x = Tensor(shape: [2, 50], scalars: uniform(100, seed: 1, in: 0.5...1))
        let y = try tg.forward(x, training: true).scalars
        let zeros = y.filter { $0 == 0 }.count
        #expect(zeros > 25 && zeros < 75)
        #expect(zip(y, x.scalars).allSatisfy { $0 == 0 || abs($0 - $1 * 4) < 1e-6 })
        let r = uniform(100, seed: 2)
        let grads = try tg.backward(Tensor(shape: [2, 50], scalars: r))
        let expected = zip(r, y).reduce(0) { $0 + $1.0 * $1.1 / 2 }
        #expect(abs(grads["s"]!.scalars[0] - expected) < 1e-4)
        #expect(try tg.forward(x, training: false).scalars == x.scalars.map { $0 * 2 })
    }
}
