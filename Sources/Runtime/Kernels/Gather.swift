/// `numpy.take(x, indices, axis)` on a row-major value viewed as
/// `[outer, axisSize, inner]`; indices are resolved (non-negative) at plan time.
struct GatherKernel: Kernel {
    let outer: Int, axisSize: Int, inner: Int
    let indices: [Int]

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0]
        for o in 0..<outer {
            for (j, i) in indices.enumerated() {
                (output + (o * indices.count + j) * inner).update(from: x + (o * axisSize + i) * inner, count: inner)
            }
        }
    }
}

/// A strided window of a row-major value: output element at coordinate `c`
/// reads input coordinate `start + c * step` per axis (steps may be negative).
struct SliceKernel: Kernel {
    let inputShape: [Int], outputShape: [Int]
    let starts: [Int], steps: [Int]

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0], r = inputShape.count
        let strides = rowMajorStrides(inputShape)
        let count = outputShape.reduce(1, *)
        var index = [Int](repeating: 0, count: r)
        for i in 0..<count {
            var offset = 0
            for a in 0..<r { offset += (starts[a] + index[a] * steps[a]) * strides[a] }
            output[i] = x[offset]
            var a = r - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < outputShape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
    }
}
