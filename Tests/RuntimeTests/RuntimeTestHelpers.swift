import Foundation
import GraphIR
import ONNXFormat
import Runtime
import TensorCore
import TestSupport

/// The deterministic input the parity references use: `x[i] = sin(0.37 * i) * 1.5` over the flat index.
func formulaInput(_ shape: [Int]) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { Float(sin(0.37 * Double($0)) * 1.5) })
}

/// Concrete shape of a graph input with the symbolic batch set to `batch`.
func concreteShape(_ input: GraphInput, batch: Int) -> [Int] {
    input.type.shape.dims.enumerated().map { i, d in d.value ?? (i == 0 ? batch : 1) }
}

/// The reference file for one model output, named as make_runtime_references.py names it.
func referenceURL(model: String, output: String) -> URL {
    let safe = String(output.map { $0.isLetter || $0.isNumber || "_.-".contains($0) ? $0 : "_" })
    return Fixtures.repoFile("Tests/References/runtime/\(model).\(safe).npy")
}

/// Index of the largest value in each row of a `[rows, n]` array.
func argmaxRows(_ values: [Float], rows: Int) -> [Int] {
    let n = values.count / max(rows, 1)
    return (0..<rows).map { r in (0..<n).max { values[r * n + $0] < values[r * n + $1] }! }
}
