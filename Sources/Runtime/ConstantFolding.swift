import Foundation
import GraphIR
import TensorCore

/// Evaluates, at plan time, nodes whose inputs are all known: parameters,
/// earlier folded values, and `shape` of any value (shapes are concrete once
/// the batch size is fixed). Covers the shape-subgraph ops and elementwise
/// arithmetic; returns `nil` for anything else, which then runs as a step.
/// Integer results are int64 tensors, floating-point results float32. A result
/// of more than `limit` elements (`FoldLimit`) is refused before it is computed.
enum ConstantFolding {
    /// A small host-side array; integers are exact in `Double` up to 2^53.
    struct HostArray {
        var shape: [Int]
        var data: [Double]
        var isInteger: Bool

        init(shape: [Int], data: [Double], isInteger: Bool) {
            self.shape = shape; self.data = data; self.isInteger = isInteger
        }

        init(_ t: Tensor) {
            shape = t.shape
            isInteger = !t.dtype.isFloatingPoint
            data = isInteger ? t.int64s.map(Double.init) : t.scalars.map(Double.init)
        }

        var tensor: Tensor {
            isInteger ? Tensor(shape: shape, int64s: data.map { Int64($0) })
                      : Tensor(shape: shape, scalars: data.map { Float($0) })
        }
    }

    /// The node's output, or `nil` when this op is not folded.
    /// `inputs[i]` is nil for an absent optional input or a run-time value; `shapes[i]` is
    /// input i's concrete shape; `outputShape` is the inferred output shape; `limit`
    /// is `FoldLimit.maxElements` of the graph.
    static func evaluate(_ node: Node, inputs: [Tensor?], shapes: [[Int]?], outputShape: [Int], limit: Int) throws -> Tensor? {
        if case .shape(let start, let end) = node.op, let s = shapes.first ?? nil {
            let r = s.count
            let lo = min(max(start < 0 ? start + r : start, 0), r)
            let e = end ?? r
            let hi = min(max(e < 0 ? e + r : e, lo), r)
            return Tensor(shape: [hi - lo], int64s: s[lo..<hi].map { Int64($0) })
        }
        var args: [HostArray?] = []
        for (i, name) in node.inputs.enumerated() {
            if name.isEmpty { args.append(nil); continue }
            guard i < inputs.count, let t = inputs[i] else { return nil }
            args.append(HostArray(t))
        }
        guard let x = args.first ?? nil else { return nil }
        func fail(_ reason: String) -> RuntimeError {
            .unsupported(node: node.name, op: node.op.name, reason: reason)
        }
        func bounded(_ shape: [Int]) throws(RuntimeError) -> Int {
            guard let n = FoldLimit.elementCount(shape, atMost: limit) else {
                throw .constantTooLarge(node: node.name, op: node.op.name, shape: shape, limit: limit)
            }
            return n
        }
        switch node.op {
        case .identity, .dropout, .cast, .constantOfShape, .reshape, .flatten, .squeeze, .unsqueeze, .transpose,
             .concat, .gather, .slice, .add, .sub, .mul, .div:
            _ = try bounded(outputShape)
        default:
            return nil
        }
        func ints(_ i: Int) -> [Int]? { i < args.count ? args[i].map { $0.data.map { Int($0) } } : nil }

        switch node.op {
        case .identity, .dropout:
            return x.tensor
        case .cast(let to):
            var y = x
            y.isInteger = !to.isFloatingPoint
            if y.isInteger { y.data = y.data.map { $0.rounded(.towardZero) } }
            if to == .bool { y.data = y.data.map { $0 != 0 ? 1 : 0 } }
            return y.tensor
        case .constantOfShape(let value, let dtype):
            let shape = x.data.map { Int($0) }
            let n = try bounded(shape)
            return HostArray(shape: shape, data: Array(repeating: Double(value), count: n),
                             isInteger: !dtype.isFloatingPoint).tensor
        case .reshape:
            guard let target = ints(1) else { return nil }
            return HostArray(shape: try ShapeMath.reshape(x.shape, target, node: node), data: x.data, isInteger: x.isInteger).tensor
        case .flatten(let axis):
            let a = axis < 0 ? axis + x.shape.count : axis
            let before = x.shape[..<a].reduce(1, *)
            return HostArray(shape: [before, x.data.count / max(before, 1)], data: x.data, isInteger: x.isInteger).tensor
        case .squeeze, .unsqueeze:
            return HostArray(shape: outputShape, data: x.data, isInteger: x.isInteger).tensor
        case .transpose(let perm):
            let p = perm.isEmpty ? Array((0..<x.shape.count).reversed()) : perm
            var out = [Double](repeating: 0, count: x.data.count)
            let strides = rowMajorStrides(x.shape)
            let outShape = p.map { x.shape[$0] }
            var index = [Int](repeating: 0, count: p.count)
            for i in 0..<out.count {
                var offset = 0
                for (j, axis) in p.enumerated() { offset += index[j] * strides[axis] }
                out[i] = x.data[offset]
                var j = p.count - 1
                while j >= 0 { index[j] += 1; if index[j] < outShape[j] { break }; index[j] = 0; j -= 1 }
            }
            return HostArray(shape: outShape, data: out, isInteger: x.isInteger).tensor
        case .concat(let axis):
            let parts = args.compactMap { $0 }
            let a = axis < 0 ? axis + x.shape.count : axis
            let outer = x.shape[..<a].reduce(1, *)
            var out: [Double] = []
            var size = 0
            for p in parts { size += p.shape[a] }
            for o in 0..<outer {
                for p in parts {
                    let w = p.data.count / max(outer, 1)
                    out += p.data[(o * w)..<((o + 1) * w)]
                }
            }
            var shape = x.shape
            shape[a] = size
            return HostArray(shape: shape, data: out, isInteger: x.isInteger).tensor
        case .gather(let axis):
            guard let idx = args[1] else { return nil }
            let a = axis < 0 ? axis + x.shape.count : axis
            let n = x.shape[a]
            let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
            var out: [Double] = []
            for o in 0..<outer {
                for raw in idx.data {
                    let i = Int(raw) < 0 ? Int(raw) + n : Int(raw)
                    guard i >= 0, i < n else { throw fail("index \(Int(raw)) is out of range for axis of size \(n)") }
                    let base = (o * n + i) * inner
                    out += x.data[base..<(base + inner)]
                }
            }
            return HostArray(shape: Array(x.shape[..<a]) + idx.shape + Array(x.shape[(a + 1)...]), data: out,
                             isInteger: x.isInteger).tensor
        case .slice:
            guard let starts = ints(1), let ends = ints(2) else { return nil }
            let window = try ShapeMath.slice(x.shape, starts: starts, ends: ends, axes: ints(3), steps: ints(4), node: node)
            var out: [Double] = []
            out.reserveCapacity(window.outputShape.reduce(1, *))
            let strides = rowMajorStrides(x.shape)
            var index = [Int](repeating: 0, count: x.shape.count)
            for _ in 0..<window.outputShape.reduce(1, *) {
                var offset = 0
                for a in index.indices { offset += (window.starts[a] + index[a] * window.steps[a]) * strides[a] }
                out.append(x.data[offset])
                var a = index.count - 1
                while a >= 0 { index[a] += 1; if index[a] < window.outputShape[a] { break }; index[a] = 0; a -= 1 }
            }
            return HostArray(shape: window.outputShape, data: out, isInteger: x.isInteger).tensor
        case .add, .sub, .mul, .div:
            guard let y = args[1] else { return nil }
            let shape = try ShapeMath.broadcast(x.shape, y.shape, node: node)
            let n = shape.reduce(1, *)
            let ia = ShapeMath.broadcastIndices(from: x.shape, to: shape)
            let ib = ShapeMath.broadcastIndices(from: y.shape, to: shape)
            let integer = x.isInteger && y.isInteger
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let u = x.data[ia[i]], v = y.data[ib[i]]
                switch node.op {
                case .add: out[i] = u + v
                case .sub: out[i] = u - v
                case .mul: out[i] = u * v
                default:
                    if integer {
                        guard v != 0 else { throw fail("integer division by zero") }
                        out[i] = (u / v).rounded(.towardZero)
                    } else {
                        out[i] = Double(Float(u) / Float(v))
                    }
                }
            }
            return HostArray(shape: shape, data: out, isInteger: integer).tensor
        default:
            return nil
        }
    }
}
