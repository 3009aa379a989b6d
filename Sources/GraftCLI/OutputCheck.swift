import Foundation
import GraphIR
import Runtime
import TensorCore

/// Runs two graphs with the same inputs on Graft's runtime and reports how far
/// their outputs are apart: what every export and conversion prints.
struct OutputCheck {
    var maxAbsDiff: Float
    /// The largest |value| of the original's outputs, so the difference can be read relatively.
    var scale: Float

    /// Same tolerance as the parity tests: 1e-4 of the output's scale.
    var isClose: Bool { maxAbsDiff <= 1e-4 * max(scale, 1) }

    var summary: String {
        "largest output difference \(maxAbsDiff) (outputs up to \(scale)): " + (isClose ? "ok" : "TOO LARGE")
    }

    /// Compares every output of `converted` with the output of `original` at the
    /// same position (names may differ: a Keras file renames inputs and outputs),
    /// on a fixed pseudo-random batch of `batch`, inputs also fed by position.
    static func compare(_ original: Graph, _ converted: Graph, batch: Int = 2) throws -> OutputCheck {
        guard original.inputs.count == converted.inputs.count, original.outputs.count == converted.outputs.count else {
            return OutputCheck(maxAbsDiff: .infinity, scale: 0)
        }
        // Planned before the inputs exist: the plans' checks (folded constants, activations) come first.
        let originalPlan = try Planner.compile(original), convertedPlan = try Planner.compile(converted)
        let inputs = try fixedInputs(for: original, batch: batch)
        var convertedInputs: [String: Tensor] = [:]
        for (a, b) in zip(original.inputs, converted.inputs) { convertedInputs[b.name] = inputs[a.name] }
        let want = try originalPlan.run(inputs)
        let got = try convertedPlan.run(convertedInputs)
        var diff: Float = 0, scale: Float = 0
        for (wantName, gotName) in zip(original.outputs, converted.outputs) {
            guard let w = want[wantName], let g = got[gotName], g.shape == w.shape else {
                return OutputCheck(maxAbsDiff: .infinity, scale: 0)
            }
            for (a, b) in zip(w.scalars, g.scalars) {
                diff = max(diff, abs(a - b))
                scale = max(scale, abs(a))
            }
        }
        return OutputCheck(maxAbsDiff: diff, scale: scale)
    }

    /// A fixed, smooth-but-varied pattern for every input; the same on every run.
    static func fixedInputs(for graph: Graph, batch: Int) throws -> [String: Tensor] {
        var inputs: [String: Tensor] = [:]
        for (k, input) in graph.inputs.enumerated() {
            let shape = input.type.shape.dims.map { $0.value ?? batch }
            try ActivationLimit.check("input \(input.name)", shape: shape)
            let n = shape.reduce(1, *)
            let values = (0..<n).map { i in Float(sin(0.37 * Double(i) + Double(k))) * 1.5 }
            inputs[input.name] = Tensor(shape: shape, scalars: values)
        }
        return inputs
    }
}
