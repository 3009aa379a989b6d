import Backprop
import GraphIR
import TensorCore
import Testing
import TestSupport

let batchDim = Dim.symbol("N")

/// Seeded uniform values in `range`.
func uniform(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Float.random(in: range, using: &g) }
}

/// A float32 parameter of seeded uniform values.
func param(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1, role: ParameterRole = .weight) -> Parameter {
    Parameter(Tensor(shape: shape, scalars: uniform(shape.reduce(1, *), seed: seed, in: range)), role: role)
}

/// An int64 constant (pads, reshape targets).
func ints(_ values: [Int64]) -> Parameter {
    Parameter(Tensor(shape: [values.count], int64s: values), role: .constant)
}

/// A sorted, typed graph with one input `x` of shape `[N] + inputShape` and output `y`.
func graph(_ inputShape: [Int], _ nodes: [Node], _ parameters: [String: Parameter], output: String = "y") throws -> Graph {
    var g = Graph(name: "test", inputs: [GraphInput(name: "x", type: ValueType(.float32, Shape([batchDim] + inputShape.map(Dim.known))))],
                  outputs: [output], nodes: nodes, parameters: parameters)
    try g.sortTopologically()
    try ShapeInference.infer(&g)
    try GraphVerifier.verify(g)
    return g
}

/// A 1×1 convolution `name` (weights `name.w`, trainable) — puts a trainable layer before an op
/// so that the op's input gradient is exercised.
func pointwise(_ name: String, _ input: String, _ output: String) -> Node {
    Node(name: name, op: .conv2d(Conv2DAttributes(kernel: [1, 1])), inputs: [input, "\(name).w"], outputs: [output])
}

/// The result of comparing analytic with central-difference gradients.
struct GradientComparison: CustomStringConvertible {
    /// Per parameter: `max |analytic - numeric| / max(max |numeric|, max |analytic|)` over the checked entries.
    var relativeError: [String: Double] = [:]
    var checkedEntries = 0
    var worst: Double { relativeError.values.max() ?? 0 }
    var description: String { relativeError.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
}

/// Checks `TrainableGraph.backward` against central differences of
/// `loss = Σ output · r` (r fixed seeded weights, summed in Double), perturbing each
/// checked parameter entry by ±`step` through `update(_:by:)`.
func checkGradients(_ g: Graph, trainable: Set<String>, mode: BatchNormMode = .affine, batch: Int = 2,
                    inputRange: ClosedRange<Float> = -1...1, step: Float = 1e-2, maxEntries: Int = 30,
                    seed: UInt64 = 11) throws -> GradientComparison {
    let tg = try TrainableGraph(g, trainable: trainable, batchNorm: mode, seed: 5)
    let shape = g.inputs[0].type.shape.dims.map { $0.value ?? batch }
    let x = Tensor(shape: shape, scalars: uniform(shape.reduce(1, *), seed: seed, in: inputRange))
    let out = try tg.forward(x, training: true)
    let r = uniform(out.elementCount, seed: seed &+ 1)
    let grads = try tg.backward(Tensor(shape: out.shape, scalars: r))
    func loss() throws -> Double {
        let y = try tg.forward(x, training: true).scalars
        var s = 0.0
        for i in y.indices { s += Double(y[i]) * Double(r[i]) }
        return s
    }
    var result = GradientComparison()
    var picker = SeededGenerator(seed: seed &+ 2)
    for name in tg.trainableNames {
        let count = tg.parameter(name).elementCount
        let entries = count <= maxEntries ? Array(0..<count) : (0..<maxEntries).map { _ in Int.random(in: 0..<count, using: &picker) }
        let analytic = grads[name]!.scalars
        var worstDiff = 0.0, scale = 1e-6
        for i in entries {
            let original = tg.parameter(name).scalars[i]
            var delta = [Float](repeating: 0, count: count)
            delta[i] = step
            tg.update(name, by: delta)
            let up = try loss()
            delta[i] = -2 * step
            tg.update(name, by: delta)
            let down = try loss()
            delta[i] = original - tg.parameter(name).scalars[i]
            tg.update(name, by: delta)
            let actualStep = Double(step)
            let numeric = (up - down) / (2 * actualStep)
            worstDiff = max(worstDiff, abs(numeric - Double(analytic[i])))
            scale = max(scale, abs(numeric), abs(Double(analytic[i])))
            result.checkedEntries += 1
        }
        result.relativeError[name] = worstDiff / scale
    }
    return result
}
