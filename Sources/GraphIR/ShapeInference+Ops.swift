import TensorCore

extension InferenceState {
    /// Output types of one node, and its integer value when it can be worked out.
    mutating func outputs(of c: NodeContext) throws(GraphError) -> ([ValueType], KnownValue?) {
        let node = c.node
        switch node.op {
        case .conv2d(let a):
            return ([try convolution(c, a)], nil)

        case .batchNorm:
            let x = try c.input(0)
            guard x.shape.rank >= 2 else { throw c.fail("input must have a channel axis, got \(x.shape)") }
            for i in 1...4 {
                let p = try c.input(i)
                if let channels = x.shape[1].value, p.shape.knownSizes != nil, p.shape.knownSizes != [channels] {
                    throw c.fail("input \(i) has shape \(p.shape), expected [\(channels)]")
                }
            }
            return ([x], nil)

        case .relu, .clip, .sigmoid, .hardSigmoid, .hardSwish, .swish, .dropout, .identity:
            let x = try c.input(0)
            switch node.op {
            case .identity, .dropout: return ([x], c.value(0))
            default: return ([x], nil)
            }

        case .softmax(let axis):
            let x = try c.input(0)
            _ = try c.normalized(axis: axis, rank: x.shape.rank)
            return ([x], nil)

        case .add, .sub, .mul, .div:
            let a = try c.input(0), b = try c.input(1)
            let shape = try broadcast(a.shape, b.shape, c)
            return ([ValueType(a.dtype, shape)], elementwiseValue(c, shape: shape))

        case .matMul:
            return ([try matMul(c)], nil)

        case .gemm(let g):
            let a = try c.input(0), b = try c.input(1)
            guard a.shape.rank == 2, b.shape.rank == 2 else { throw c.fail("gemm needs 2-D inputs, got \(a.shape) and \(b.shape)") }
            let m = g.transA ? a.shape[1] : a.shape[0], ka = g.transA ? a.shape[0] : a.shape[1]
            let kb = g.transB ? b.shape[1] : b.shape[0], n = g.transB ? b.shape[0] : b.shape[1]
            if let x = ka.value, let y = kb.value, x != y {
                throw c.fail("inner dimensions differ: \(a.shape) and \(b.shape) (transA \(g.transA), transB \(g.transB))")
            }
            let out = Shape([m, n])
            if c.inputs.count > 2, let bias = c.inputs[2] { _ = try broadcast(out, bias.shape, c) }
            return ([ValueType(a.dtype, out)], nil)

        case .globalAveragePool:
            let x = try c.input(0)
            guard x.shape.rank >= 3 else { throw c.fail("needs [N, C, spatial…], got \(x.shape)") }
            return ([ValueType(x.dtype, Shape(Array(x.shape.dims.prefix(2)) + Array(repeating: .known(1), count: x.shape.rank - 2)))], nil)

        case .averagePool(let p), .maxPool(let p):
            return ([try pool(c, p)], nil)

        case .reduceMean(let axes, let keepDims):
            let x = try c.input(0)
            var reduced = Set<Int>()
            for a in axes.isEmpty ? Array(0..<x.shape.rank) : axes { reduced.insert(try c.normalized(axis: a, rank: x.shape.rank)) }
            var dims: [Dim] = []
            for (i, d) in x.shape.dims.enumerated() {
                if reduced.contains(i) { if keepDims { dims.append(.known(1)) } } else { dims.append(d) }
            }
            return ([ValueType(x.dtype, Shape(dims))], nil)

        case .flatten(let axis):
            let x = try c.input(0)
            let a = axis < 0 ? axis + x.shape.rank : axis
            guard a >= 0, a <= x.shape.rank else { throw c.fail("axis \(axis) is out of range for \(x.shape)") }
            let out = Shape([product(Array(x.shape.dims[..<a])), product(Array(x.shape.dims[a...]))])
            return ([ValueType(x.dtype, out)], c.value(0).map { KnownValue(shape: out.knownSizes ?? [$0.elements.count], elements: $0.elements) })

        case .reshape:
            return try reshape(c)

        case .transpose(let perm):
            let x = try c.input(0)
            let p = perm.isEmpty ? Array((0..<x.shape.rank).reversed()) : perm
            guard p.sorted() == Array(0..<x.shape.rank) else { throw c.fail("perm \(perm) is not a permutation of the axes of \(x.shape)") }
            var value: KnownValue? = nil
            if let v = c.value(0) { value = transposed(v, p) }
            return ([ValueType(x.dtype, Shape(p.map { x.shape[$0] }))], value)

        case .concat(let axis):
            return try concat(c, axis: axis)

        case .pad(let mode, _):
            let x = try c.input(0)
            let rank = x.shape.rank
            guard let pads = c.ints(1) else {
                return ([ValueType(x.dtype, Shape((0..<rank).map { _ in unknownDim() }))], nil)
            }
            guard pads.count == 2 * rank else { throw c.fail("pads has \(pads.count) values, expected \(2 * rank) for \(x.shape)") }
            var dims: [Dim] = []
            for i in 0..<rank {
                let (extra, overflow) = pads[i].addingReportingOverflow(pads[i + rank])
                guard !overflow else { throw c.fail("pads \(pads) are out of range") }
                if extra == 0 { dims.append(x.shape[i]); continue }
                guard let n = x.shape[i].value else { dims.append(unknownDim()); continue }
                let (size, beyond) = n.addingReportingOverflow(extra)
                guard !beyond else { throw c.fail("pads \(pads) are out of range for \(x.shape)") }
                guard size >= 0 else { throw c.fail("pads \(pads) make axis \(i) of \(x.shape) negative") }
                // Reflect and edge padding copy input values: an empty axis has none to copy.
                guard n > 0 || size == 0 || mode == .constant else {
                    throw c.fail("\(mode) padding of axis \(i) of \(x.shape), which is empty")
                }
                dims.append(.known(size))
            }
            return ([ValueType(x.dtype, Shape(dims))], nil)

        case .cast(let to):
            let x = try c.input(0)
            return ([ValueType(to, x.shape)], to.isFloatingPoint ? nil : c.value(0))

        case .shape(let start, let end):
            let x = try c.input(0)
            let r = x.shape.rank
            let lo = min(max(start < 0 ? start + r : start, 0), r)
            let hi = min(max((end ?? r) < 0 ? (end ?? r) + r : (end ?? r), lo), r)
            let dims = Array(x.shape.dims[lo..<hi])
            return ([ValueType(.int64, Shape(known: [dims.count]))], KnownValue(shape: [dims.count], elements: dims))

        case .gather(let axis):
            return try gather(c, axis: axis)

        case .slice:
            return try slice(c)

        case .squeeze(let axes):
            let x = try c.input(0)
            var drop = Set<Int>()
            if axes.isEmpty {
                for (i, d) in x.shape.dims.enumerated() where d == .known(1) { drop.insert(i) }
            } else {
                for a in axes {
                    let i = try c.normalized(axis: a, rank: x.shape.rank)
                    if let n = x.shape[i].value, n != 1 { throw c.fail("cannot squeeze axis \(a) of size \(n) in \(x.shape)") }
                    drop.insert(i)
                }
            }
            let dims = x.shape.dims.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
            let value = c.value(0).map { KnownValue(shape: dims.compactMap(\.value), elements: $0.elements) }
            return ([ValueType(x.dtype, Shape(dims))], value)

        case .unsqueeze(let axes):
            let x = try c.input(0)
            let rank = x.shape.rank + axes.count
            var inserted = Set<Int>()
            for a in axes { inserted.insert(try c.normalized(axis: a, rank: rank)) }
            guard inserted.count == axes.count else { throw c.fail("axes \(axes) repeat an axis") }
            var source = x.shape.dims.makeIterator()
            let dims = (0..<rank).map { inserted.contains($0) ? Dim.known(1) : source.next()! }
            let value = c.value(0).flatMap { v -> KnownValue? in
                dims.allSatisfy({ $0.value != nil }) ? KnownValue(shape: dims.map { $0.value! }, elements: v.elements) : nil
            }
            return ([ValueType(x.dtype, Shape(dims))], value)

        case .constantOfShape(let fill, let dtype):
            _ = try c.input(0)
            guard let v = c.value(0) else {
                return ([ValueType(dtype, Shape([unknownDim()]))], nil)
            }
            let dims = v.elements
            var value: KnownValue? = nil
            // The sizes come from the file: negative or overflowing ones are refused by `checkAllocatable`.
            if let sizes = v.ints, !dtype.isFloatingPoint,
               let n = FoldLimit.elementCount(sizes, atMost: KnownValue.maxTrackedElements) {
                value = KnownValue(shape: sizes, elements: Array(repeating: .known(Int(fill)), count: n))
            }
            return ([ValueType(dtype, Shape(dims))], value)
        }
    }
}
