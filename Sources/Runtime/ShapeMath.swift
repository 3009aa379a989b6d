import GraphIR

/// Shape arithmetic shared by plan-time folding and run-time kernels.
enum ShapeMath {
    /// ONNX Reshape: 0 copies the input dimension, one -1 is inferred.
    static func reshape(_ shape: [Int], _ target: [Int], node: Node) throws -> [Int] {
        var out = target.enumerated().map { $1 == 0 && $0 < shape.count ? shape[$0] : $1 }
        let count = shape.reduce(1, *)
        if let i = out.firstIndex(of: -1) {
            let rest = out.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            guard rest > 0, count % rest == 0 else {
                throw RuntimeError.unsupported(node: node.name, op: "reshape", reason: "cannot reshape \(shape) to \(target)")
            }
            out[i] = count / rest
        }
        guard out.reduce(1, *) == count, out.allSatisfy({ $0 >= 0 }) else {
            throw RuntimeError.unsupported(node: node.name, op: "reshape", reason: "cannot reshape \(shape) to \(target)")
        }
        return out
    }

    /// NumPy broadcasting of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int], node: Node) throws -> [Int] {
        let r = max(a.count, b.count)
        let pa = Array(repeating: 1, count: r - a.count) + a, pb = Array(repeating: 1, count: r - b.count) + b
        return try (0..<r).map { i in
            if pa[i] == pb[i] || pb[i] == 1 { return pa[i] }
            if pa[i] == 1 { return pb[i] }
            throw RuntimeError.unsupported(node: node.name, op: node.op.name, reason: "shapes \(a) and \(b) do not broadcast")
        }
    }

    /// For each element of `shape`, the flat index it reads in a value of `from` broadcast to it.
    static func broadcastIndices(from: [Int], to shape: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: shape.count - from.count) + from
        let strides = zip(rowMajorStrides(padded), padded).map { $1 == 1 ? 0 : $0 }
        let n = shape.reduce(1, *)
        var out = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<n {
            var o = 0
            for a in index.indices { o += index[a] * strides[a] }
            out[i] = o
            var a = index.count - 1
            while a >= 0 { index[a] += 1; if index[a] < shape[a] { break }; index[a] = 0; a -= 1 }
        }
        return out
    }

    struct SliceWindow { var starts: [Int], steps: [Int], outputShape: [Int] }

    /// ONNX Slice with clamping: start/end counted from the end when negative.
    static func slice(_ shape: [Int], starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?, node: Node) throws -> SliceWindow {
        var window = SliceWindow(starts: Array(repeating: 0, count: shape.count), steps: Array(repeating: 1, count: shape.count),
                                 outputShape: shape)
        let axes = axes ?? Array(0..<starts.count)
        guard starts.count == ends.count, axes.count == starts.count else {
            throw RuntimeError.unsupported(node: node.name, op: "slice", reason: "starts, ends and axes differ in length")
        }
        for (j, rawAxis) in axes.enumerated() {
            let axis = rawAxis < 0 ? rawAxis + shape.count : rawAxis
            let n = shape[axis], step = steps?[j] ?? 1
            guard step != 0 else { throw RuntimeError.unsupported(node: node.name, op: "slice", reason: "step 0") }
            var s = starts[j] < 0 ? starts[j] + n : starts[j]
            var e = ends[j] < 0 ? ends[j] + n : ends[j]
            if step > 0 {
                s = min(max(s, 0), n); e = min(max(e, 0), n)
            } else {
                s = min(max(s, 0), n - 1); e = min(max(e, -1), n - 1)
            }
            let len = step > 0 ? max(0, (e - s + step - 1) / step) : max(0, (s - e + (-step) - 1) / (-step))
            window.starts[axis] = s
            window.steps[axis] = step
            window.outputShape[axis] = len
        }
        return window
    }
}
