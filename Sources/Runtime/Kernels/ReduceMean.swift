/// Mean over a set of axes of a row-major value. The output keeps the
/// unreduced axes in order (keepDims only changes the logical shape).
struct ReduceMeanKernel: Kernel {
    let inputShape: [Int]
    let reduced: Set<Int>

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let x = inputs[0]
        if let lo = reduced.min(), let hi = reduced.max(), hi - lo + 1 == reduced.count {
            // Contiguous axes (e.g. H and W of an NHWC value): [outer, reduced, inner].
            let outer = inputShape[..<lo].reduce(1, *), count = inputShape[lo...hi].reduce(1, *)
            let inner = inputShape[(hi + 1)...].reduce(1, *)
            let scale = 1 / Float(max(count, 1))
            for o in 0..<outer {
                let dst = output + o * inner
                dst.update(repeating: 0, count: inner)
                for r in 0..<count {
                    let src = x + (o * count + r) * inner
                    for i in 0..<inner { dst[i] += src[i] }
                }
                for i in 0..<inner { dst[i] *= scale }
            }
            return
        }
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
