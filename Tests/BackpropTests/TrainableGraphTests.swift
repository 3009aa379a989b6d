import Backprop
import GraphIR
import TensorCore
import Testing
import TestSupport

/// The executor's contract: argument errors, batch sizes that change between calls, repeated steps.
struct TrainableGraphTests {
    static func small() throws -> Graph {
        try graph([3, 4, 4],
                  [pointwise("a", "x", "p"),
                   Node(name: "bn", op: .batchNorm(epsilon: 1e-3), inputs: ["p", "g", "b", "m", "v"], outputs: ["q"]),
                   Node(name: "relu", op: .clip(min: 0, max: 6), inputs: ["q"], outputs: ["r"]),
                   Node(name: "pool", op: .globalAveragePool, inputs: ["r"], outputs: ["s"]),
                   Node(name: "flat", op: .flatten(axis: 1), inputs: ["s"], outputs: ["y"])],
                  ["a.w": param([3, 3, 1, 1], seed: 1), "g": param([3], seed: 2, in: 0.5...1.5), "b": param([3], seed: 3),
                   "m": param([3], seed: 4, role: .statistic), "v": param([3], seed: 5, in: 0.5...1, role: .statistic)])
    }

    @Test func argumentErrorsSayWhatToDo() throws {
        let g = try Self.small()
        #expect(throws: BackpropError.self) { try TrainableGraph(g, trainable: ["nope"], batchNorm: .affine) }
        #expect {
            try TrainableGraph(g, trainable: ["m"], batchNorm: .train)
        } throws: { "\($0)".contains("'m'") && "\($0)".contains("statistic") }
        let tg = try TrainableGraph(g, trainable: ["a.w"], batchNorm: .affine)
        #expect(throws: BackpropError.self) { try tg.backward(Tensor(zeros: [2, 3])) }
        #expect(throws: BackpropError.self) { try tg.forward(Tensor(zeros: [2, 3, 5, 4]), training: true) }
        _ = try tg.forward(Tensor(zeros: [2, 3, 4, 4]), training: false)
        #expect(throws: BackpropError.self) { try tg.backward(Tensor(zeros: [2, 3])) }
        _ = try tg.forward(Tensor(zeros: [2, 3, 4, 4]), training: true)
        #expect(throws: BackpropError.self) { try tg.backward(Tensor(zeros: [3, 3])) }
    }

    /// Batch 4, then 1, then 4 again: each sample's output and the summed gradients are the same.
    @Test func batchSizeMayChangeBetweenCalls() throws {
        let g = try Self.small()
        let tg = try TrainableGraph(g, trainable: ["a.w", "g", "b"], batchNorm: .affine)
        let x = uniform(4 * 48, seed: 7)
        let y4 = try tg.forward(Tensor(shape: [4, 3, 4, 4], scalars: x), training: true).scalars
        let g4 = try tg.backward(Tensor(shape: [4, 3], scalars: [Float](repeating: 1, count: 12)))
        var summed = [Float](repeating: 0, count: 9)
        for i in 0..<4 {
            let yi = try tg.forward(Tensor(shape: [1, 3, 4, 4], scalars: Array(x[(i * 48)..<((i + 1) * 48)])), training: true).scalars
            #expect(mismatch(yi, Array(y4[(i * 3)..<((i + 1) * 3)]), .kernel) == nil)
            let gi = try tg.backward(Tensor(shape: [1, 3], scalars: [1, 1, 1]))
            for k in 0..<9 { summed[k] += gi["a.w"]!.scalars[k] }
        }
        #expect(mismatch(summed, g4["a.w"]!.scalars, .kernel) == nil)
        #expect(try tg.forward(Tensor(shape: [4, 3, 4, 4], scalars: x), training: true).scalars == y4)
    }

    /// Plain SGD on `Σ y²` through `update(_:by:)` lowers the loss.
    @Test func gradientStepsLowerTheLoss() throws {
        let g = try Self.small()
        let tg = try TrainableGraph(g, trainable: ["a.w", "g", "b"], batchNorm: .train, momentum: 0.9)
        let x = Tensor(shape: [4, 3, 4, 4], scalars: uniform(4 * 48, seed: 8))
        var losses: [Float] = []
        for _ in 0..<20 {
            let y = try tg.forward(x, training: true)
            losses.append(y.scalars.reduce(0) { $0 + $1 * $1 })
            let grads = try tg.backward(Tensor(shape: y.shape, scalars: y.scalars.map { 2 * $0 }))
            for name in tg.trainableNames { tg.update(name, by: grads[name]!.scalars.map { -0.05 * $0 }) }
        }
        #expect(losses.last! < losses.first! * 0.5, "\(losses)")
    }
}
