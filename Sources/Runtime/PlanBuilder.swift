import GraphIR
import TensorCore

/// A value of the plan: a logical (IR) shape, the layout its bytes use, and
/// where the bytes live.
struct PlanValue {
    enum Storage {
        /// Owns a buffer assigned by `BufferAssignment`.
        case buffer
        /// Shares the bytes of another value (transpose, reshape, fused no-ops).
        case alias(of: Int)
        case constant(FloatBuffer)
    }
    var name: String
    var shape: [Int]
    var layout: Layout
    var storage: Storage
    var elementCount: Int { shape.reduce(1, *) }
}

/// One kernel call: reads `inputs`, writes `output` (value ids).
struct PlanStep {
    var node: String
    /// Op family, for profiles (`conv2d`, `depthwise`, `layout`, …).
    var kind: String
    var kernel: any Kernel
    var inputs: [Int]
    var output: Int
    /// Multiply-adds per call (convolutions and GEMMs; 0 elsewhere), for profiles.
    var macs: Int = 0
}

/// Picks a layout per value and a kernel per lowered node.
///
/// Layout policy: convolutions, pools and global average pooling read and
/// write NHWC (`Layout.nhwc`); elementwise ops and pads work in whatever
/// layout their input has; transposes only relabel the layout (no copy);
/// everything else reads row-major (IR order). `ensure` inserts a copy only
/// when the bytes actually differ.
struct PlanBuilder {
    var values: [PlanValue] = []
    var steps: [PlanStep] = []
    var ids: [String: Int] = [:]
    let scratch = ScratchArena()
    private var converted: [Int: [Layout: Int]] = [:]
    private var lowered: LoweredGraph
    private let weights: WeightCache

    /// Pass `lowered` with `consume`: each convolution's unpacked weights are released as soon
    /// as they are packed, so the plan's peak memory holds one copy of the weights besides the graph's, not two.
    init(_ lowered: LoweredGraph, weights: WeightCache = WeightCache()) throws {
        self.lowered = lowered
        self.weights = weights
        for input in lowered.inputs {
            ids[input.name] = add(PlanValue(name: input.name, shape: input.shape, layout: .identity(input.shape.count), storage: .buffer))
        }
        for i in self.lowered.nodes.indices {
            let node = self.lowered.nodes[i]
            self.lowered.nodes[i].conv = nil
            try build(node)
        }
    }

    private mutating func add(_ v: PlanValue) -> Int {
        values.append(v)
        return values.count - 1
    }

    /// The id of a named value; constants become values on first use (row-major).
    mutating func value(_ name: String) -> Int {
        if let id = ids[name] { return id }
        let t = lowered.constants[name]!
        let buffer = weights.buffer("constant \(name) \(t.shape)", source: t.scalars) { t.scalars }
        let id = add(PlanValue(name: name, shape: t.shape, layout: .identity(t.rank), storage: .constant(buffer)))
        ids[name] = id
        return id
    }

    /// The value `id` in `layout`: itself, an alias when the bytes agree, or a converted copy.
    mutating func ensure(_ id: Int, _ layout: Layout) -> Int {
        let v = values[id]
        if v.layout == layout { return id }
        if let done = converted[id]?[layout] { return done }
        let result: Int
        if v.layout.sameBytes(as: layout, shape: v.shape) {
            result = add(PlanValue(name: v.name, shape: v.shape, layout: layout, storage: .alias(of: id)))
        } else {
            // Physical permutation from v's order to the target order.
            let perm = layout.order.map { v.layout.order.firstIndex(of: $0)! }
            let kernel = TransposeKernel(inputShape: v.layout.physical(v.shape), perm: perm)
            if case .constant = v.storage {
                let out = FloatBuffer(count: v.elementCount)
                kernel.run([pointer(of: id)], out.pointer)
                result = add(PlanValue(name: v.name, shape: v.shape, layout: layout, storage: .constant(out)))
            } else {
                result = add(PlanValue(name: v.name, shape: v.shape, layout: layout, storage: .buffer))
                steps.append(PlanStep(node: v.name, kind: "layout", kernel: kernel, inputs: [id], output: result))
            }
        }
        converted[id, default: [:]][layout] = result
        return result
    }

    private func pointer(of id: Int) -> UnsafeMutablePointer<Float> {
        switch values[id].storage {
        case .constant(let b): b.pointer
        case .alias(let of): pointer(of: of)
        case .buffer: preconditionFailure("plan-time pointer of a run-time value")
        }
    }

    /// Adds a step writing a new value of `shape` in `layout`.
    private mutating func emit(_ node: LoweredNode, kind: String, _ kernel: any Kernel, inputs: [Int],
                               shape: [Int], layout: Layout) {
        let out = add(PlanValue(name: node.output, shape: shape, layout: layout, storage: .buffer))
        ids[node.output] = out
        steps.append(PlanStep(node: node.name, kind: kind, kernel: kernel, inputs: inputs, output: out))
    }

    private mutating func alias(_ node: LoweredNode, of id: Int, shape: [Int], layout: Layout) {
        ids[node.output] = add(PlanValue(name: node.output, shape: shape, layout: layout, storage: .alias(of: id)))
    }

    private func unsupported(_ node: LoweredNode, _ reason: String) -> RuntimeError {
        .unsupported(node: node.name, op: node.op.name, reason: reason)
    }

    private mutating func build(_ node: LoweredNode) throws {
        let outShape = lowered.shapes[node.output]!
        let rank = outShape.count
        switch node.op {
        case .identity:
            let x = value(node.inputs[0])
            alias(node, of: x, shape: values[x].shape, layout: values[x].layout)

        case .transpose(let perm):
            let x = value(node.inputs[0])
            let p = perm.isEmpty ? Array((0..<values[x].shape.count).reversed()) : perm
            alias(node, of: x, shape: outShape, layout: values[x].layout.transposed(by: p))

        case .reshape, .flatten, .squeeze, .unsqueeze:
            let x = ensure(value(node.inputs[0]), .identity(values[value(node.inputs[0])].shape.count))
            alias(node, of: x, shape: outShape, layout: .identity(rank))

        case .conv2d(let a):
            try buildConvolution(node, a, outShape: outShape)

        case .batchNorm(let epsilon):
            let x = value(node.inputs[0])
            var consts: [[Float]] = []
            for name in node.inputs.dropFirst() {
                guard let t = lowered.constants[name] else { throw unsupported(node, "scale, bias, mean and variance must be constants") }
                consts.append(t.scalars)
            }
            let channels = outShape[1]
            let scale = (0..<channels).map { consts[0][$0] / (consts[3][$0] + epsilon).squareRoot() }
            let shift = (0..<channels).map { consts[1][$0] - consts[2][$0] * scale[$0] }
            let layout = values[x].layout
            let physical = layout.physical(outShape), axis = layout.physicalAxis(of: 1)
            emit(node, kind: "batch_norm", ChannelAffineKernel(outer: physical[..<axis].reduce(1, *), channels: channels,
                                                               inner: physical[(axis + 1)...].reduce(1, *), scale: scale,
                                                               shift: shift, activation: node.activation),
                 inputs: [x], shape: outShape, layout: layout)

        case .relu, .clip, .sigmoid, .hardSigmoid, .hardSwish, .swish:
            let x = value(node.inputs[0])
            emit(node, kind: "activation", ActivationKernel(activation: Activation(node.op)!, count: values[x].elementCount),
                 inputs: [x], shape: outShape, layout: values[x].layout)

        case .add, .sub, .mul, .div:
            try buildBinary(node, outShape: outShape)

        case .matMul:
            let a = ensure(value(node.inputs[0]), .identity(values[value(node.inputs[0])].shape.count))
            let b = ensure(value(node.inputs[1]), .identity(values[value(node.inputs[1])].shape.count))
            var sa = values[a].shape, sb = values[b].shape
            if sa.count == 1 { sa.insert(1, at: 0) }
            if sb.count == 1 { sb.append(1) }
            let m = sa[sa.count - 2], k = sa.last!, n = sb.last!
            let batch = outShape.count >= 2 ? Array(try ShapeMath.broadcast(Array(sa.dropLast(2)), Array(sb.dropLast(2)),
                                                                            node: Node(name: node.name, op: node.op, inputs: [], outputs: [])))
                                            : []
            let ia = ShapeMath.broadcastIndices(from: Array(sa.dropLast(2)), to: batch).map { $0 * m * k }
            let ib = ShapeMath.broadcastIndices(from: Array(sb.dropLast(2)), to: batch).map { $0 * k * n }
            emit(node, kind: "matmul", MatMulKernel(m: m, n: n, k: k, offsetsA: ia, offsetsB: ib),
                 inputs: [a, b], shape: outShape, layout: .identity(rank))

        case .gemm(let attrs):
            let a = ensure(value(node.inputs[0]), .identity(2))
            let b = ensure(value(node.inputs[1]), .identity(2))
            let sa = values[a].shape, sb = values[b].shape
            let m = outShape[0], n = outShape[1], k = attrs.transA ? sa[0] : sa[1]
            _ = sb
            var c: FloatBuffer? = nil
            if node.inputs.count > 2, !node.inputs[2].isEmpty {
                guard let t = lowered.constants[node.inputs[2]] else { throw unsupported(node, "C must be a constant") }
                let s = t.scalars
                c = FloatBuffer(ShapeMath.broadcastIndices(from: t.shape, to: [m, n]).map { s[$0] })
            }
            emit(node, kind: "gemm", GemmKernel(m: m, n: n, k: k, attributes: GemmAttributesCopy(alpha: attrs.alpha, beta: attrs.beta,
                                                                                            transA: attrs.transA, transB: attrs.transB),
                                                c: c, activation: node.activation),
                 inputs: [a, b], shape: outShape, layout: .identity(2))

        case .globalAveragePool:
            guard rank == 4 else { throw unsupported(node, "only 2-D spatial inputs are supported") }
            let x = ensure(value(node.inputs[0]), .nhwc)
            let s = values[x].shape
            emit(node, kind: "pool", GlobalAveragePoolKernel(batch: s[0], pixels: s[2] * s[3], channels: s[1]),
                 inputs: [x], shape: outShape, layout: .nhwc)

        case .averagePool(let p), .maxPool(let p):
            let x = ensure(value(node.inputs[0]), .nhwc)
            let s = values[x].shape
            let pads = Padding.explicitPads(p.autoPad, pads: p.pads, inputHW: [s[2], s[3]], kernel: p.kernel, strides: p.strides)
            let geometry = ConvGeometry(batch: s[0], height: s[2], width: s[3], channels: s[1], outChannels: s[1],
                                        outHeight: outShape[2], outWidth: outShape[3], kernelH: p.kernel[0], kernelW: p.kernel[1],
                                        strideH: p.strides[0], strideW: p.strides[1], dilationH: 1, dilationW: 1,
                                        padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3], group: 1)
            let kind: Pool2DKernel.Kind
            if case .maxPool = node.op { kind = .max } else { kind = .average(countIncludePad: p.countIncludePad) }
            emit(node, kind: "pool", Pool2DKernel(kind: kind, g: geometry), inputs: [x], shape: outShape, layout: .nhwc)

        case .reduceMean(let axes, _):
            let x = ensure(value(node.inputs[0]), .identity(values[value(node.inputs[0])].shape.count))
            let r = values[x].shape.count
            let reduced = Set(axes.isEmpty ? Array(0..<r) : axes.map { $0 < 0 ? $0 + r : $0 })
            emit(node, kind: "reduce", ReduceMeanKernel(inputShape: values[x].shape, reduced: reduced),
                 inputs: [x], shape: outShape, layout: .identity(rank))

        case .concat(let axis):
            var ins = node.inputs.filter { !$0.isEmpty }.map { value($0) }
            let a = axis < 0 ? axis + rank : axis
            let layout = values[ins[0]].layout
            ins = ins.map { ensure($0, layout) }
            let p = layout.physicalAxis(of: a)
            let outer = layout.physical(outShape)[..<p].reduce(1, *)
            let widths = ins.map { values[$0].elementCount / max(outer, 1) }
            emit(node, kind: "concat", ConcatKernel(outer: outer, widths: widths), inputs: ins, shape: outShape, layout: layout)

        case .pad(let mode, var fill):
            let x = value(node.inputs[0])
            guard node.inputs.count > 1, let padTensor = lowered.constants[node.inputs[1]] else {
                throw unsupported(node, "pads must be known at plan time")
            }
            if node.inputs.count > 2, !node.inputs[2].isEmpty {
                guard let v = lowered.constants[node.inputs[2]] else { throw unsupported(node, "the pad value must be a constant") }
                fill = v.scalars.first ?? 0
            }
            let pads = padTensor.int64s.map { Int($0) }
            let layout = values[x].layout, r = layout.rank
            let physicalPads = layout.order.map { pads[$0] } + layout.order.map { pads[$0 + r] }
            emit(node, kind: "pad", PadKernel(inputShape: layout.physical(values[x].shape), pads: physicalPads, mode: mode, value: fill),
                 inputs: [x], shape: outShape, layout: layout)

        case .softmax(let axis):
            let x = ensure(value(node.inputs[0]), .identity(rank))
            let a = axis < 0 ? axis + rank : axis
            emit(node, kind: "softmax", SoftmaxKernel(outer: outShape[..<a].reduce(1, *), axis: outShape[a],
                                                      inner: outShape[(a + 1)...].reduce(1, *)),
                 inputs: [x], shape: outShape, layout: .identity(rank))

        case .gather(let axis):
            let x = ensure(value(node.inputs[0]), .identity(values[value(node.inputs[0])].shape.count))
            guard let indices = lowered.constants[node.inputs[1]] else { throw unsupported(node, "indices must be known at plan time") }
            let s = values[x].shape, a = axis < 0 ? axis + s.count : axis
            let resolved = indices.int64s.map { Int($0) < 0 ? Int($0) + s[a] : Int($0) }
            guard resolved.allSatisfy({ $0 >= 0 && $0 < s[a] }) else { throw unsupported(node, "an index is out of range for \(s)") }
            emit(node, kind: "gather", GatherKernel(outer: s[..<a].reduce(1, *), axisSize: s[a], inner: s[(a + 1)...].reduce(1, *),
                                                    indices: resolved),
                 inputs: [x], shape: outShape, layout: .identity(rank))

        case .slice:
            let x = ensure(value(node.inputs[0]), .identity(rank))
            func ints(_ i: Int) throws -> [Int]? {
                guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
                guard let t = lowered.constants[node.inputs[i]] else { throw unsupported(node, "slice bounds must be known at plan time") }
                return t.int64s.map { Int($0) }
            }
            let window = try ShapeMath.slice(values[x].shape, starts: try ints(1)!, ends: try ints(2)!, axes: try ints(3), steps: try ints(4),
                                             node: Node(name: node.name, op: node.op, inputs: [], outputs: []))
            emit(node, kind: "slice", SliceKernel(inputShape: values[x].shape, outputShape: window.outputShape,
                                                  starts: window.starts, steps: window.steps),
                 inputs: [x], shape: outShape, layout: .identity(rank))

        case .dropout, .cast, .shape, .constantOfShape:
            throw unsupported(node, "not expected after plan-time folding")
        }
    }

    private mutating func buildBinary(_ node: LoweredNode, outShape: [Int]) throws {
        let rank = outShape.count
        var a = value(node.inputs[0]), b = value(node.inputs[1])
        let op: BinaryOperator
        switch node.op {
        case .add: op = .add
        case .sub: op = .sub
        case .mul: op = .mul
        default: op = .div
        }
        // Work in the layout of the run-time operand with the full rank; constants follow it.
        func isConstant(_ id: Int) -> Bool { if case .constant = values[id].storage { true } else { false } }
        var layout = Layout.identity(rank)
        if values[a].shape.count == rank, !isConstant(a) { layout = values[a].layout }
        else if values[b].shape.count == rank, !isConstant(b) { layout = values[b].layout }
        if !layout.isIdentity {
            for id in [a, b] where values[id].shape.count != rank && !isConstant(id) { layout = .identity(rank) }
        }
        func prepared(_ id: Int) -> Int {
            var id = id
            if values[id].shape.count < rank, case .constant(let buf) = values[id].storage {
                // A lower-rank constant: prepend axes of size 1 (same bytes).
                let shape = Array(repeating: 1, count: rank - values[id].shape.count) + values[id].shape
                id = add(PlanValue(name: values[id].name, shape: shape, layout: .identity(rank), storage: .constant(buf)))
            } else if values[id].shape.count < rank {
                let x = ensure(id, .identity(values[id].shape.count))
                let shape = Array(repeating: 1, count: rank - values[x].shape.count) + values[x].shape
                id = add(PlanValue(name: values[x].name, shape: shape, layout: .identity(rank), storage: .alias(of: x)))
            }
            return ensure(id, layout)
        }
        a = prepared(a)
        b = prepared(b)
        let kernel = BinaryKernel(op: op, a: layout.physical(values[a].shape), b: layout.physical(values[b].shape),
                                  out: layout.physical(outShape), activation: node.activation)
        emit(node, kind: "elementwise", kernel, inputs: [a, b], shape: outShape, layout: layout)
    }

    private mutating func buildConvolution(_ node: LoweredNode, _ a: Conv2DAttributes, outShape: [Int]) throws {
        guard let p = node.conv else { throw unsupported(node, "missing weights") }
        let x = ensure(value(node.inputs[0]), .nhwc)
        var operands = [x]
        if let (name, perm) = node.residual {
            // View the residual in the conv's logical axes (no copy), then in NHWC.
            let r = value(name)
            let view = add(PlanValue(name: name, shape: perm.map { values[r].shape[$0] },
                                     layout: values[r].layout.transposed(by: perm), storage: .alias(of: r)))
            operands.append(ensure(view, .nhwc))
        }
        let s = values[x].shape
        let geometry = ConvGeometry(batch: s[0], height: s[2], width: s[3], channels: s[1], outChannels: p.weightShape[0],
                                    outHeight: outShape[2], outWidth: outShape[3], kernelH: a.kernel[0], kernelW: a.kernel[1],
                                    strideH: a.strides[0], strideW: a.strides[1], dilationH: a.dilations[0], dilationW: a.dilations[1],
                                    padTop: p.pads[0], padLeft: p.pads[1], padBottom: p.pads[2], padRight: p.pads[3], group: a.group)
        // Output size with the (possibly fused) pads.
        let oh = Padding.outputSize(input: s[2], kernel: a.kernel[0], stride: a.strides[0], dilation: a.dilations[0],
                                    padBegin: p.pads[0], padEnd: p.pads[2])
        let ow = Padding.outputSize(input: s[3], kernel: a.kernel[1], stride: a.strides[1], dilation: a.dilations[1],
                                    padBegin: p.pads[1], padEnd: p.pads[3])
        guard oh == outShape[2], ow == outShape[3] else {
            throw unsupported(node, "output \(outShape) disagrees with input \(s) and pads \(p.pads)")
        }
        let macs = geometry.outputPixels * geometry.outChannels * geometry.kernelH * geometry.kernelW * (geometry.channels / geometry.group)
        defer { steps[steps.count - 1].macs = macs }
        if geometry.isDepthwise, node.residual == nil {
            emit(node, kind: "depthwise", DepthwiseConv2DKernel(geometry: geometry, weightOIHW: p.weight, bias: p.bias,
                                                                 activation: node.activation, scratch: scratch,
                                                                 cache: weights, key: node.name),
                 inputs: [x], shape: outShape, layout: .nhwc)
        } else if DirectConv2DKernel.enabled, DirectConv2DKernel.applies(to: geometry), node.residual == nil {
            emit(node, kind: "conv_direct", DirectConv2DKernel(geometry: geometry, weightOIHW: p.weight, bias: p.bias,
                                                               activation: node.activation, cache: weights, key: node.name),
                 inputs: [x], shape: outShape, layout: .nhwc)
        } else {
            emit(node, kind: geometry.isPointwise ? "conv1x1" : "conv_kxk",
                 Conv2DKernel(geometry: geometry, weightOIHW: p.weight, bias: p.bias, activation: node.activation, scratch: scratch,
                              cache: weights, key: node.name),
                 inputs: operands, shape: outShape, layout: .nhwc)
        }
    }
}
