import Foundation

/// Softmax along one axis of a row-major value viewed as `[outer, axis, inner]`.
/// Subtracts the maximum first; NaN anywhere in a slice makes that slice NaN.
struct SoftmaxKernel: Kernel {
    let outer: Int, axis: Int, inner: Int

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0]
        Parallel.forRanges(outer * inner, work: outer * axis * inner * 8) { slices in
            for s in slices {
                let base = (s / inner) * axis * inner + s % inner
                var m = -Float.infinity
                for i in 0..<axis { let v = x[base + i * inner]; if v > m || v != v { m = v } }
                var sum: Float = 0
                for i in 0..<axis {
                    let e = exp(x[base + i * inner] - m)
                    output[base + i * inner] = e
                    sum += e
                }
                for i in 0..<axis { output[base + i * inner] /= sum }
            }
        }
    }
}
