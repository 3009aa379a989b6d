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

    /// Compares every output of `converted` with the same-named output of `original`
    /// on a fixed pseudo-random batch of 2.
    static func compare(_ original: Graph, _ converted: Graph) throws -> OutputCheck {
        var inputs: [String: Tensor] = [:]
        for (k, input) in original.inputs.enumerated() {
            let shape = input.type.shape.dims.map { $0.value ?? 2 }
            let n = shape.reduce(1, *)
            // A fixed, smooth-but-varied pattern; the same on every run.
            let values = (0..<n).map { i in Float(sin(0.37 * Double(i) + Double(k))) * 1.5 }
            inputs[input.name] = Tensor(shape: shape, scalars: values)
        }
        let want = try Planner.compile(original).run(inputs)
        let got = try Planner.compile(converted).run(inputs)
        var diff: Float = 0, scale: Float = 0
        for (name, w) in want {
            guard let g = got[name], g.shape == w.shape else { return OutputCheck(maxAbsDiff: .infinity, scale: 0) }
            for (a, b) in zip(w.scalars, g.scalars) {
                diff = max(diff, abs(a - b))
                scale = max(scale, abs(a))
            }
        }
        return OutputCheck(maxAbsDiff: diff, scale: scale)
    }
}
