import GraphIR
import TensorCore

/// Evaluates one node on constant inputs, for `FoldConstants`.
///
/// Covers the data-movement ops (identity, cast, reshape, flatten, squeeze,
/// unsqueeze, transpose, concat, gather, slice), `constantOfShape`, `shape` and
/// broadcasting `add`/`sub`/`mul`/`div`. Returns `nil` for any other op or any
/// input it cannot interpret, so the node is simply left in place; also when
/// the result would have more than `maxElements` elements, which is checked
/// before it is computed (the ops whose result can outgrow their inputs:
/// `constantOfShape`, broadcasting arithmetic, `gather`, `concat`). Integer
/// division rounds down, as `ShapeInference` does.
enum ConstantEvaluator {
    static func evaluate(_ op: Op, _ inputs: [ConstantValue?], maxElements: Int) -> ConstantValue? {
        func input(_ i: Int) -> ConstantValue? { i < inputs.count ? inputs[i] : nil }
        guard let x = input(0) else { return nil }
        switch op {
        case .identity, .dropout:
            return x
        case .cast(let to):
            switch x.elements {
            case .floats(let v) where !to.isFloatingPoint:
                guard v.allSatisfy({ $0.isFinite && abs($0) < 9.2e18 }) else { return nil }
                return ConstantValue(dtype: to, shape: x.shape, elements: .ints(v.map { to == .bool ? ($0 != 0 ? 1 : 0) : Int64($0) }))
            case .ints(let v) where to.isFloatingPoint:
                return ConstantValue(dtype: to, shape: x.shape, elements: .floats(v.map { Float($0) }))
            case .ints(let v) where to == .bool:
                return ConstantValue(dtype: to, shape: x.shape, elements: .ints(v.map { $0 != 0 ? 1 : 0 }))
            default:
                return ConstantValue(dtype: to, shape: x.shape, elements: x.elements)
            }
        case .reshape:
            guard let target = input(1)?.ints else { return nil }
            return reshape(x, target.map { Int($0) })
        case .flatten(let axis):
            let a = axis < 0 ? axis + x.shape.count : axis
            guard a >= 0, a <= x.shape.count else { return nil }
            return x.reshaped([x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *)])
        case .squeeze(let axes):
            let rank = x.shape.count
            let drop = axes.isEmpty ? Set(x.shape.indices.filter { x.shape[$0] == 1 }) : Set(axes.map { $0 < 0 ? $0 + rank : $0 })
            guard drop.allSatisfy({ $0 >= 0 && $0 < rank && x.shape[$0] == 1 }) else { return nil }
            return x.reshaped(x.shape.indices.filter { !drop.contains($0) }.map { x.shape[$0] })
        case .unsqueeze(let axes):
            let rank = x.shape.count + axes.count
            let inserted = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
            guard inserted.count == axes.count, inserted.allSatisfy({ $0 >= 0 && $0 < rank }) else { return nil }
            var source = x.shape.makeIterator()
            return x.reshaped((0..<rank).map { inserted.contains($0) ? 1 : source.next()! })
        case .transpose(let perm):
            return transpose(x, perm.isEmpty ? Array(x.shape.indices.reversed()) : perm)
        case .concat(let axis):
            let parts = inputs.compactMap { $0 }
            guard parts.count == inputs.count,
                  parts.reduce(0, { $0 + $1.count }) <= maxElements else { return nil }
            return concat(parts, axis: axis)
        case .gather(let axis):
            guard let indices = input(1) else { return nil }
            return gather(x, indices, axis: axis, maxElements: maxElements)
        case .slice:
            guard let starts = input(1)?.ints, let ends = input(2)?.ints else { return nil }
            return slice(x, starts: starts, ends: ends, axes: input(3)?.ints, steps: input(4)?.ints)
        case .constantOfShape(let value, let dtype):
            let shape = x.ints.map { Int($0) }
            guard let n = FoldLimit.elementCount(shape, atMost: maxElements) else { return nil }
            return ConstantValue(dtype: dtype, shape: shape,
                                 elements: dtype.isFloatingPoint ? .floats(Array(repeating: value, count: n))
                                                                 : .ints(Array(repeating: Int64(value), count: n)))
        case .shape(let start, let end):
            let r = x.shape.count
            let lo = min(max(start < 0 ? start + r : start, 0), r)
            let e = end ?? r
            let hi = min(max(e < 0 ? e + r : e, lo), r)
            return ConstantValue(dtype: .int64, shape: [hi - lo], elements: .ints(x.shape[lo..<hi].map { Int64($0) }))
        case .add, .sub, .mul, .div:
            guard let y = input(1), let shape = broadcastShape(x.shape, y.shape),
                  FoldLimit.elementCount(shape, atMost: maxElements) != nil else { return nil }
            return arithmetic(op, x, y)
        default:
            return nil
        }
    }

    static func reshape(_ x: ConstantValue, _ target: [Int]) -> ConstantValue? {
        var shape = target
        for (i, d) in target.enumerated() where d == 0 {
            guard i < x.shape.count else { return nil }
            shape[i] = x.shape[i]
        }
        if let i = shape.firstIndex(of: -1) {
            let rest = shape.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            guard rest > 0, x.count % rest == 0 else { return nil }
            shape[i] = x.count / rest
        }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == x.count else { return nil }
        return x.reshaped(shape)
    }

    static func transpose(_ x: ConstantValue, _ perm: [Int]) -> ConstantValue? {
        guard perm.sorted() == Array(x.shape.indices) else { return nil }
        let outShape = perm.map { x.shape[$0] }
        let indices = sourceIndices(outShape: outShape, sourceShape: x.shape, axisMap: perm,
                                    picks: outShape.map { Array(0..<$0) })
        return x.picking(indices, shape: outShape)
    }

    static func concat(_ parts: [ConstantValue], axis: Int) -> ConstantValue? {
        guard let first = parts.first else { return nil }
        let rank = first.shape.count
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank, parts.allSatisfy({ $0.shape.count == rank && $0.dtype == first.dtype }) else { return nil }
        for p in parts { for i in 0..<rank where i != a && p.shape[i] != first.shape[i] { return nil } }
        let outer = first.shape[..<a].reduce(1, *)
        var shape = first.shape
        shape[a] = parts.map { $0.shape[a] }.reduce(0, +)
        let blocks = parts.map { $0.shape[a...].reduce(1, *) }
        func interleave<T>(_ arrays: [[T]]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(shape.reduce(1, *))
            for o in 0..<outer { for (k, v) in arrays.enumerated() { out += v[(o * blocks[k])..<((o + 1) * blocks[k])] } }
            return out
        }
        if first.dtype.isFloatingPoint {
            return ConstantValue(dtype: first.dtype, shape: shape, elements: .floats(interleave(parts.map(\.floats))))
        }
        return ConstantValue(dtype: first.dtype, shape: shape, elements: .ints(interleave(parts.map(\.ints))))
    }

    static func gather(_ x: ConstantValue, _ indices: ConstantValue, axis: Int, maxElements: Int) -> ConstantValue? {
        let rank = x.shape.count
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank,
              FoldLimit.elementCount(Array(x.shape[..<a]) + indices.shape + Array(x.shape[(a + 1)...]),
                                     atMost: maxElements) != nil else { return nil }
        let n = x.shape[a]
        var picked: [Int] = []
        for i in indices.ints {
            let j = i < 0 ? Int(i) + n : Int(i)
            guard j >= 0, j < n else { return nil }
            picked.append(j)
        }
        // Gather along `a` of the picked rows, then reshape to before + indices.shape + after.
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
        var flat: [Int] = []
        for o in 0..<outer { for j in picked { for k in 0..<inner { flat.append((o * n + j) * inner + k) } } }
        let shape = Array(x.shape[..<a]) + indices.shape + Array(x.shape[(a + 1)...])
        return x.picking(flat, shape: shape)
    }

    static func slice(_ x: ConstantValue, starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?) -> ConstantValue? {
        let rank = x.shape.count
        let axes = axes ?? (0..<Int64(starts.count)).map { $0 }
        let steps = steps ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else { return nil }
        var picks = x.shape.map { Array(0..<$0) }
        for k in starts.indices {
            let axis = axes[k] < 0 ? Int(axes[k]) + rank : Int(axes[k])
            guard axis >= 0, axis < rank, steps[k] != 0 else { return nil }
            picks[axis] = sliceIndices(start: starts[k], end: ends[k], step: steps[k], size: x.shape[axis])
        }
        let outShape = picks.map(\.count)
        return x.picking(sourceIndices(outShape: outShape, sourceShape: x.shape, axisMap: Array(0..<rank), picks: picks),
                         shape: outShape)
    }

    /// Indices one axis of an ONNX slice selects, clamped as the spec says.
    static func sliceIndices(start: Int64, end: Int64, step: Int64, size: Int) -> [Int] {
        let n = Int64(size)
        var s = start < 0 ? start + n : start
        var e = end < 0 ? end + n : end
        if step > 0 {
            s = min(max(s, 0), n); e = min(max(e, 0), n)
        } else {
            s = min(max(s, 0), n - 1); e = min(max(e, -1), n - 1)
        }
        return stride(from: Int(s), to: Int(e), by: Int(step)).map { $0 }
    }

    /// NumPy-broadcast shape, or `nil` when the shapes do not broadcast.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else { return nil }
            out.append(x == 1 ? y : x)
        }
        return out
    }

    /// Flat indices into `source` for each element of the broadcast `outShape`.
    static func broadcastIndices(_ source: [Int], to outShape: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: outShape.count - source.count) + source
        let picks = zip(padded, outShape).map { s, o in s == 1 ? Array(repeating: 0, count: o) : Array(0..<o) }
        return sourceIndices(outShape: outShape, sourceShape: padded, axisMap: Array(outShape.indices), picks: picks)
    }

    static func arithmetic(_ op: Op, _ x: ConstantValue, _ y: ConstantValue) -> ConstantValue? {
        guard let shape = broadcastShape(x.shape, y.shape) else { return nil }
        let ix = broadcastIndices(x.shape, to: shape), iy = broadcastIndices(y.shape, to: shape)
        if x.dtype.isFloatingPoint || y.dtype.isFloatingPoint {
            let a = x.floats, b = y.floats
            let f: (Float, Float) -> Float
            switch op {
            case .add: f = (+)
            case .sub: f = (-)
            case .mul: f = (*)
            default: f = (/)
            }
            return ConstantValue(dtype: x.dtype, shape: shape, elements: .floats(zip(ix, iy).map { f(a[$0], b[$1]) }))
        }
        let a = x.ints, b = y.ints
        var out: [Int64] = []
        out.reserveCapacity(ix.count)
        for (i, j) in zip(ix, iy) {
            switch op {
            case .add: out.append(a[i] &+ b[j])
            case .sub: out.append(a[i] &- b[j])
            case .mul: out.append(a[i] &* b[j])
            default:
                guard b[j] != 0 else { return nil }
                out.append(Int64((Double(a[i]) / Double(b[j])).rounded(.down)))
            }
        }
        return ConstantValue(dtype: x.dtype, shape: shape, elements: .ints(out))
    }
}
