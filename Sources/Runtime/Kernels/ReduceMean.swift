/// Mean over a set of axes of a row-major value. The output keeps the
/// unreduced axes in order (keepDims only changes the logical shape).
struct ReduceMeanKernel: Kernel {
    let inputShape: [Int]
    let reduced: Set<Int>

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0]
        let kept = inputShape.indices.filter { !reduced.contains($0) }
        let outShape = kept.map { inputShape[$0] }
        let outCount = outShape.reduce(1, *), count = inputShape.reduce(1, *)
        let outStrides = rowMajorStrides(outShape)
        // Output stride of each input axis (0 for reduced axes).
        var strideOf = [Int](repeating: 0, count: inputShape.count)
        for (j, axis) in kept.enumerated() { strideOf[axis] = outStrides[j] }
        output.update(repeating: 0, count: outCount)
        var index = [Int](repeating: 0, count: inputShape.count)
        for i in 0..<count {
            var o = 0
            for a in index.indices { o += index[a] * strideOf[a] }
            output[o] += x[i]
            var a = index.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < inputShape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        let scale = Float(outCount) / Float(max(count, 1))
        for i in 0..<outCount { output[i] *= scale }
    }
}
