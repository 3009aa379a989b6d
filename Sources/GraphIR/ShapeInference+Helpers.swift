import TensorCore

extension InferenceState {
    func convolution(_ c: NodeContext, _ a: Conv2DAttributes) throws(GraphError) -> ValueType {
        let x = try c.input(0), w = try c.input(1)
        guard x.shape.rank == 4 else { throw c.fail("input must be [N, C, H, W], got \(x.shape)") }
        guard w.shape.rank == 4, let ws = w.shape.knownSizes else { throw c.fail("weight must be a known [O, C/group, kH, kW], got \(w.shape)") }
        guard a.group >= 1, ws[0] % a.group == 0 else { throw c.fail("group \(a.group) does not divide \(ws[0]) output channels") }
        if let channels = x.shape[1].value, channels != ws[1] * a.group {
            throw c.fail("input has \(channels) channels but weight \(ws) with group \(a.group) expects \(ws[1] * a.group)")
        }
        if ws[2] != a.kernel[0] || ws[3] != a.kernel[1] {
            throw c.fail("kernel \(a.kernel) disagrees with weight \(ws)")
        }
        if c.inputs.count > 2, let b = c.inputs[2], b.shape.knownSizes != [ws[0]] {
            throw c.fail("bias has shape \(b.shape), expected [\(ws[0])]")
        }
        let spatial = try spatialOutput(c, x.shape, kernel: a.kernel, strides: a.strides, dilations: a.dilations,
                                        pads: a.pads, autoPad: a.autoPad, ceilMode: false)
        return ValueType(x.dtype, Shape([x.shape[0], .known(ws[0])] + spatial))
    }

    func pool(_ c: NodeContext, _ p: PoolAttributes) throws(GraphError) -> ValueType {
        let x = try c.input(0)
        guard x.shape.rank == 4 else { throw c.fail("input must be [N, C, H, W], got \(x.shape)") }
        let spatial = try spatialOutput(c, x.shape, kernel: p.kernel, strides: p.strides, dilations: [1, 1],
                                        pads: p.pads, autoPad: p.autoPad, ceilMode: p.ceilMode)
        return ValueType(x.dtype, Shape([x.shape[0], x.shape[1]] + spatial))
    }

    private func spatialOutput(_ c: NodeContext, _ x: Shape, kernel: [Int], strides: [Int], dilations: [Int],
                               pads: [Int], autoPad: AutoPad, ceilMode: Bool) throws(GraphError) -> [Dim] {
        guard kernel.count == 2, strides.count == 2, dilations.count == 2, pads.count == 4,
              strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }), kernel.allSatisfy({ $0 >= 1 }) else {
            throw c.fail("kernel \(kernel), strides \(strides), dilations \(dilations), pads \(pads) are not valid 2-D values")
        }
        var out: [Dim] = []
        for axis in 0..<2 {
            guard let n = x[axis + 2].value else { out.append(.symbol("?")); continue }
            let (begin, end): (Int, Int)
            switch autoPad {
            case .explicit: (begin, end) = (pads[axis], pads[axis + 2])
            case .valid: (begin, end) = (0, 0)
            case .sameUpper, .sameLower:
                (begin, end) = Padding.same(input: n, kernel: kernel[axis], stride: strides[axis],
                                            dilation: dilations[axis], upper: autoPad == .sameUpper)
            }
            let size = Padding.outputSize(input: n, kernel: kernel[axis], stride: strides[axis], dilation: dilations[axis],
                                          padBegin: begin, padEnd: end, ceilMode: ceilMode)
            guard size >= 1 else { throw c.fail("the window (kernel \(kernel), pads \(pads)) is larger than the input \(x)") }
            out.append(.known(size))
        }
        return out
    }

    func broadcast(_ a: Shape, _ b: Shape, _ c: NodeContext) throws(GraphError) -> Shape {
        let rank = max(a.rank, b.rank)
        var dims: [Dim] = []
        for i in 0..<rank {
            let da = i < rank - a.rank ? Dim.known(1) : a[i - (rank - a.rank)]
            let db = i < rank - b.rank ? Dim.known(1) : b[i - (rank - b.rank)]
            switch (da, db) {
            case (.known(1), _): dims.append(db)
            case (_, .known(1)): dims.append(da)
            case let (.known(x), .known(y)):
                guard x == y else { throw c.fail("shapes \(a) and \(b) do not broadcast") }
                dims.append(da)
            case (.symbol, _): dims.append(da)
            default: dims.append(db)
            }
        }
        return Shape(dims)
    }

    /// Integer arithmetic on known values (the shape subgraphs' `Sub`, `Mul`, `Div`).
    func elementwiseValue(_ c: NodeContext, shape: Shape) -> KnownValue? {
        guard let a = c.value(0), let b = c.value(1), let sizes = shape.knownSizes,
              sizes.reduce(1, *) <= KnownValue.maxTrackedElements,
              a.elements.count == sizes.reduce(1, *) || a.elements.count == 1,
              b.elements.count == sizes.reduce(1, *) || b.elements.count == 1 else { return nil }
        let n = sizes.reduce(1, *)
        var out: [Dim] = []
        for i in 0..<n {
            let x = a.elements[a.elements.count == 1 ? 0 : i], y = b.elements[b.elements.count == 1 ? 0 : i]
            guard let u = x.value, let v = y.value else { out.append(.symbol("?")); continue }
            switch c.node.op {
            case .add: out.append(.known(u + v))
            case .sub: out.append(.known(u - v))
            case .mul: out.append(.known(u * v))
            case .div:
                guard v != 0 else { return nil }
                out.append(.known(Int((Double(u) / Double(v)).rounded(.down))))
            default: return nil
            }
        }
        return KnownValue(shape: sizes, elements: out)
    }

    func matMul(_ c: NodeContext) throws(GraphError) -> ValueType {
        let a = try c.input(0), b = try c.input(1)
        guard a.shape.rank >= 1, b.shape.rank >= 1 else { throw c.fail("matmul needs inputs of rank ≥ 1") }
        var ad = a.shape.dims, bd = b.shape.dims
        let promoteA = ad.count == 1, promoteB = bd.count == 1
        if promoteA { ad.insert(.known(1), at: 0) }
        if promoteB { bd.append(.known(1)) }
        if let k1 = ad.last!.value, let k2 = bd[bd.count - 2].value, k1 != k2 {
            throw c.fail("inner dimensions differ: \(a.shape) and \(b.shape)")
        }
        let batch = try broadcast(Shape(Array(ad.dropLast(2))), Shape(Array(bd.dropLast(2))), c)
        var dims = batch.dims
        if !promoteA { dims.append(ad[ad.count - 2]) }
        if !promoteB { dims.append(bd.last!) }
        return ValueType(a.dtype, Shape(dims))
    }

    /// The product of dims: known when all are; one symbol when the rest are 1.
    func product(_ dims: [Dim]) -> Dim {
        var known = 1
        var symbols: [Dim] = []
        for d in dims {
            if let n = d.value { known *= n } else { symbols.append(d) }
        }
        if symbols.isEmpty { return .known(known) }
        if symbols.count == 1, known == 1 { return symbols[0] }
        return .symbol("?")
    }

    mutating func reshape(_ c: NodeContext) throws(GraphError) -> ([ValueType], KnownValue?) {
        let x = try c.input(0)
        guard let target = c.value(1) else {
            let rank = try c.input(1).shape.knownSizes?.first ?? 0
            return ([ValueType(x.dtype, Shape((0..<rank).map { _ in unknownDim() }))], nil)
        }
        var dims: [Dim] = []
        var inferIndex: Int? = nil
        for (i, e) in target.elements.enumerated() {
            switch e {
            case .known(0): dims.append(i < x.shape.rank ? x.shape[i] : .known(0))
            case .known(-1):
                guard inferIndex == nil else { throw c.fail("target shape has more than one -1") }
                inferIndex = i
                dims.append(.known(-1))
            case .known(let n) where n < -1: throw c.fail("target shape has dimension \(n)")
            default: dims.append(e)
            }
        }
        if let i = inferIndex {
            dims[i] = try inferredDim(c, input: x.shape.dims, target: dims.enumerated().filter { $0.offset != i }.map(\.element))
        } else if let a = x.shape.knownSizes, let b = Shape(dims).knownSizes,
                  a.reduce(1, *) != FoldLimit.elementCount(b, atMost: .max) {
            throw c.fail("cannot reshape \(x.shape) to \(Shape(dims))")
        }
        let value = c.value(0).flatMap { v -> KnownValue? in
            Shape(dims).knownSizes.map { KnownValue(shape: $0, elements: v.elements) }
        }
        return ([ValueType(x.dtype, Shape(dims))], value)
    }

    /// The size that `-1` stands for: the input's elements divided by the target's others.
    private mutating func inferredDim(_ c: NodeContext, input: [Dim], target: [Dim]) throws(GraphError) -> Dim {
        var symbols = input.filter { $0.value == nil }
        var known = input.compactMap(\.value).reduce(1, *)
        var targetKnown = 1
        for d in target {
            if let n = d.value {
                let (p, overflow) = targetKnown.multipliedReportingOverflow(by: n)
                guard !overflow else { throw c.fail("cannot reshape \(Shape(input)) to \(Shape(target)) with one -1") }
                targetKnown = p
                continue
            }
            guard let j = symbols.firstIndex(of: d) else { return unknownDim() }
            symbols.remove(at: j)
        }
        if targetKnown == 0 { return unknownDim() }
        guard known % targetKnown == 0 else { throw c.fail("cannot reshape \(Shape(input)) to \(Shape(target)) with one -1") }
        known /= targetKnown
        if symbols.isEmpty { return .known(known) }
        if symbols.count == 1, known == 1 { return symbols[0] }
        return unknownDim()
    }

    func transposed(_ v: KnownValue, _ perm: [Int]) -> KnownValue? {
        guard v.shape.count == perm.count else { return nil }
        let outShape = perm.map { v.shape[$0] }
        let inStrides = strides(v.shape)
        let outStrides = strides(outShape)
        var out = Array(repeating: Dim.known(0), count: v.elements.count)
        for flat in 0..<v.elements.count {
            var rest = flat, source = 0
            for (axis, stride) in outStrides.enumerated() {
                source += (rest / stride) * inStrides[perm[axis]]
                rest %= stride
            }
            out[flat] = v.elements[source]
        }
        return KnownValue(shape: outShape, elements: out)
    }

    func strides(_ shape: [Int]) -> [Int] {
        var s = Array(repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * shape[i + 1] }
        return s
    }

    func concat(_ c: NodeContext, axis: Int) throws(GraphError) -> ([ValueType], KnownValue?) {
        let parts = c.inputs.compactMap { $0 }
        guard let first = parts.first else { throw c.fail("concat has no inputs") }
        let a = try c.normalized(axis: axis, rank: first.shape.rank)
        var total: Dim = .known(0)
        for p in parts {
            guard p.shape.rank == first.shape.rank else { throw c.fail("inputs have ranks \(parts.map(\.shape.rank))") }
            for i in 0..<p.shape.rank where i != a {
                if let x = p.shape[i].value, let y = first.shape[i].value, x != y {
                    throw c.fail("inputs \(parts.map(\.shape)) differ outside axis \(axis)")
                }
            }
            if let t = total.value, let n = p.shape[a].value { total = .known(t + n) } else { total = .symbol("?") }
        }
        var dims = first.shape.dims
        dims[a] = total
        var value: KnownValue? = nil
        if first.shape.rank == 1, let sizes = Shape(dims).knownSizes {
            var elements: [Dim] = []
            for v in c.values {
                guard let v else { elements = []; break }
                elements += v.elements
            }
            if elements.count == sizes[0] { value = KnownValue(shape: sizes, elements: elements) }
        }
        return ([ValueType(first.dtype, Shape(dims))], value)
    }

    func gather(_ c: NodeContext, axis: Int) throws(GraphError) -> ([ValueType], KnownValue?) {
        let data = try c.input(0), indices = try c.input(1)
        let a = try c.normalized(axis: axis, rank: data.shape.rank)
        let dims = Array(data.shape.dims[..<a]) + indices.shape.dims + Array(data.shape.dims[(a + 1)...])
        var value: KnownValue? = nil
        if data.shape.rank == 1, let v = c.value(0), let idx = c.ints(1), let sizes = Shape(dims).knownSizes {
            var elements: [Dim] = []
            for i in idx {
                let j = i < 0 ? i + v.elements.count : i
                guard j >= 0, j < v.elements.count else { throw c.fail("index \(i) is out of range for \(v.elements.count) elements") }
                elements.append(v.elements[j])
            }
            value = KnownValue(shape: sizes, elements: elements)
        }
        return ([ValueType(data.dtype, Shape(dims))], value)
    }

    mutating func slice(_ c: NodeContext) throws(GraphError) -> ([ValueType], KnownValue?) {
        let x = try c.input(0)
        let rank = x.shape.rank
        guard let starts = c.ints(1), let ends = c.ints(2) else {
            return ([ValueType(x.dtype, Shape((0..<rank).map { _ in unknownDim() }))], nil)
        }
        let axes = c.ints(3) ?? Array(0..<starts.count)
        let steps = c.ints(4) ?? Array(repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw c.fail("starts, ends, axes and steps have different lengths")
        }
        var dims = x.shape.dims
        var ranges: [Int: StrideTo<Int>] = [:]
        for k in 0..<starts.count {
            let axis = try c.normalized(axis: axes[k], rank: rank)
            let step = steps[k]
            guard step != 0 else { throw c.fail("slice step is 0") }
            guard let n = x.shape[axis].value else {
                let whole = starts[k] == 0 && ends[k] >= Int(Int32.max) && step == 1
                dims[axis] = whole ? x.shape[axis] : unknownDim()
                continue
            }
            let r = sliceRange(start: starts[k], end: ends[k], step: step, size: n)
            ranges[axis] = r
            dims[axis] = .known(Array(r).count)
        }
        var value: KnownValue? = nil
        if let v = c.value(0), v.shape.count == rank {
            let picks = (0..<rank).map { Array(ranges[$0] ?? stride(from: 0, to: v.shape[$0], by: 1)) }
            let inStrides = strides(v.shape)
            var elements: [Dim] = []
            func collect(_ axis: Int, _ offset: Int) {
                if axis == rank { elements.append(v.elements[offset]); return }
                for i in picks[axis] { collect(axis + 1, offset + i * inStrides[axis]) }
            }
            collect(0, 0)
            value = KnownValue(shape: picks.map(\.count), elements: elements)
        }
        return ([ValueType(x.dtype, Shape(dims))], value)
    }

    /// Element indices selected by one axis of an ONNX slice (clamped as the spec says).
    func sliceRange(start: Int, end: Int, step: Int, size: Int) -> StrideTo<Int> {
        func clamp(_ v: Int, _ lo: Int, _ hi: Int) -> Int { min(max(v, lo), hi) }
        var s = start < 0 ? start + size : start
        var e = end < 0 ? end + size : end
        if step > 0 {
            s = clamp(s, 0, size); e = clamp(e, 0, size)
        } else {
            s = clamp(s, 0, size - 1); e = clamp(e, -1, size - 1)
        }
        return stride(from: s, to: e, by: step)
    }
}
