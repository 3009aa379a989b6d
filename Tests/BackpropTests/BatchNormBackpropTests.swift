import Backprop
import GraphIR
import TensorCore
import Testing
import TestSupport

/// BatchNorm in its three modes, against central differences and by hand.
struct BatchNormBackpropTests {
    static func bnGraph(epsilon: Float = 1e-3) throws -> (Graph, Set<String>) {
        let c = 3
        let params: [String: Parameter] = [
            "s": param([1, c, 1, 1], seed: 1, in: 0.5...1.5),
            "gamma": param([c], seed: 2, in: 0.5...1.5), "beta": param([c], seed: 3),
            "mean": param([c], seed: 4, role: .statistic), "var": param([c], seed: 5, in: 0.5...2, role: .statistic),
        ]
        let g = try graph([c, 4, 3],
                          [Node(name: "scale", op: .mul, inputs: ["x", "s"], outputs: ["p"]),
                           Node(name: "bn", op: .batchNorm(epsilon: epsilon), inputs: ["p", "gamma", "beta", "mean", "var"], outputs: ["y"])],
                          params)
        return (g, ["s", "gamma", "beta"])
    }

    @Test(arguments: BatchNormMode.allCases)
    func matchesFiniteDifferences(_ mode: BatchNormMode) throws {
        let (g, trainable) = try Self.bnGraph()
        let check = try checkGradients(g, trainable: trainable, mode: mode, batch: 3)
        #expect(check.worst <= 1e-3, "\(check)")
        let tg = try TrainableGraph(g, trainable: trainable, batchNorm: mode)
        #expect(tg.trainableNames == (mode == .frozen ? ["s"] : ["s", "gamma", "beta"]))
    }

    /// x = [1, 3] on one channel, gamma 2, beta 0, eps 0: mean 2, variance 1, x̂ = [-1, 1], y = [-2, 2].
    /// With dL/dy = [1, 0]: dgamma = Σ dy·x̂ = -1, dbeta = 1, dx = γ/σ·(dy - mean(dy) - x̂·mean(dy·x̂)) = [0, 0].
    /// Moving statistics with momentum 0.9 from (0, 1): mean 0.2, variance 0.9 + 0.1 · 2 (unbiased) = 1.1.
    @Test func handDerivedTrainMode() throws {
        let g = try graph([1, 1, 2],
                          [Node(name: "scale", op: .mul, inputs: ["x", "s"], outputs: ["p"]),
                           Node(name: "bn", op: .batchNorm(epsilon: 0), inputs: ["p", "gamma", "beta", "mean", "var"], outputs: ["y"])],
                          ["s": Parameter(Tensor(shape: [1], scalars: [1])),
                           "gamma": Parameter(Tensor(shape: [1], scalars: [2])), "beta": Parameter(Tensor(shape: [1], scalars: [0])),
                           "mean": Parameter(Tensor(shape: [1], scalars: [0]), role: .statistic),
                           "var": Parameter(Tensor(shape: [1], scalars: [1]), role: .statistic)])
        let tg = try TrainableGraph(g, trainable: ["s", "gamma", "beta"], batchNorm: .train, momentum: 0.9)
        let y = try tg.forward(Tensor(shape: [1, 1, 1, 2], scalars: [1, 3]), training: true)
        #expect(y.scalars == [-2, 2])
        let grads = try tg.backward(Tensor(shape: [1, 1, 1, 2], scalars: [1, 0]))
        #expect(grads["gamma"]!.scalars == [-1])
        #expect(grads["beta"]!.scalars == [1])
        #expect(abs(grads["s"]!.scalars[0]) < 1e-6)  // Σ dx · x = 0
        let updated = tg.updatedGraph()
        #expect(abs(updated.parameters["mean"]!.tensor.scalars[0] - 0.2) < 1e-6)
        #expect(abs(updated.parameters["var"]!.tensor.scalars[0] - 1.1) < 1e-6)
        // Inference uses the moving statistics: (1 - 0.2) / sqrt(1.1) · 2.
        let inference = try tg.forward(Tensor(shape: [1, 1, 1, 2], scalars: [1, 3]), training: false)
        #expect(abs(inference.scalars[0] - 0.8 / Float(1.1).squareRoot() * 2) < 1e-5)
    }

    /// Moving statistics follow `momentum · moving + (1 - momentum) · batch` per training forward,
    /// and stay put in the other modes and at inference.
    @Test(arguments: BatchNormMode.allCases)
    func movingStatisticsFollowTheMomentumRule(_ mode: BatchNormMode) throws {
        let (g, trainable) = try Self.bnGraph()
        let tg = try TrainableGraph(g, trainable: trainable, batchNorm: mode, momentum: 0.8)
        let n = 3, c = 3, hw = 12
        let x = uniform(n * c * hw, seed: 9)
        _ = try tg.forward(Tensor(shape: [n, c, 4, 3], scalars: x), training: false)
        _ = try tg.forward(Tensor(shape: [n, c, 4, 3], scalars: x), training: true)
        let s = g.parameters["s"]!.tensor.scalars
        let oldMean = g.parameters["mean"]!.tensor.scalars, oldVar = g.parameters["var"]!.tensor.scalars
        let newMean = tg.updatedGraph().parameters["mean"]!.tensor.scalars
        let newVar = tg.updatedGraph().parameters["var"]!.tensor.scalars
        for ch in 0..<c {
            var values: [Double] = []
            for b in 0..<n { for i in 0..<hw { values.append(Double(x[(b * c + ch) * hw + i] * s[ch])) } }
            let mu = values.reduce(0, +) / Double(values.count)
            let unbiased = values.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(values.count - 1)
            let expectedMean = mode == .train ? 0.8 * Double(oldMean[ch]) + 0.2 * mu : Double(oldMean[ch])
            let expectedVar = mode == .train ? 0.8 * Double(oldVar[ch]) + 0.2 * unbiased : Double(oldVar[ch])
            #expect(abs(Double(newMean[ch]) - expectedMean) < 1e-5)
            #expect(abs(Double(newVar[ch]) - expectedVar) < 1e-5)
        }
    }
}

/// BatchNorm followed by ReLU6 or relu runs as one fused kernel; its gradients still match.
struct FusedBatchNormActivationTests {
    static let activations: [Op] = [.clip(min: 0, max: 6), .relu, .clip(min: -0.5, max: 0.5)]

    @Test(arguments: BatchNormMode.allCases, activations)
    func matchesFiniteDifferences(_ mode: BatchNormMode, _ activation: Op) throws {
        let c = 3
        let g = try graph([c, 4, 3],
                          [pointwise("pre", "x", "p"),
                           Node(name: "bn", op: .batchNorm(epsilon: 1e-3), inputs: ["p", "gamma", "beta", "mean", "var"], outputs: ["q"]),
                           Node(name: "act", op: activation, inputs: ["q"], outputs: ["y"])],
                          ["pre.w": param([c, c, 1, 1], seed: 1),
                           "gamma": param([c], seed: 2, in: 0.5...1.5), "beta": param([c], seed: 3),
                           "mean": param([c], seed: 4, role: .statistic), "var": param([c], seed: 5, in: 0.5...2, role: .statistic)])
        let check = try checkGradients(g, trainable: ["pre.w", "gamma", "beta"], mode: mode, batch: 3, step: 1e-3)
        #expect(check.worst <= 1e-3, "\(check)")
        // The same values as the two ops apart (an extra reader of the BatchNorm output prevents fusion).
        var unfused = g
        unfused.outputs = ["y", "q"]
        let x = Tensor(shape: [3, c, 4, 3], scalars: uniform(108, seed: 6))
        let fusedOut = try TrainableGraph(g, trainable: [], batchNorm: mode).forward(x, training: true)
        var separate = try Self.firstOutput(unfused, x, mode)
        separate = Array(separate.prefix(fusedOut.elementCount))
        #expect(fusedOut.scalars == separate)
    }

    /// Output `y` of a graph with two outputs: run it as a one-output graph whose `y` is kept
    /// next to an identity reader of `q`.
    static func firstOutput(_ g: Graph, _ x: Tensor, _ mode: BatchNormMode) throws -> [Float] {
        var h = g
        h.nodes.append(Node(name: "keep", op: .add, inputs: ["q", "zero"], outputs: ["q2"]))
        h.nodes.append(Node(name: "sum", op: .mul, inputs: ["q2", "zero"], outputs: ["z"]))
        h.nodes.append(Node(name: "out", op: .add, inputs: ["y", "z"], outputs: ["o"]))
        h.parameters["zero"] = Parameter(Tensor(shape: [1], scalars: [0]), role: .constant)
        h.outputs = ["o"]
        try h.sortTopologically()
        try ShapeInference.infer(&h)
        return try TrainableGraph(h, trainable: [], batchNorm: mode).forward(x, training: true).scalars
    }
}
