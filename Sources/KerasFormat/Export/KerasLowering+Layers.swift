import GraphIR
import TensorCore

/// The translation rules, one per op family. Layouts: IR rank-4 values are
/// NCHW and Keras tensors NHWC, so IR channel axis 1 is Keras axis -1; other
/// ranks keep their axis order (as the importer does).
extension KerasLowering {
    mutating func lower(_ i: Int) throws(Refusal) {
        let node = graph.nodes[i]
        switch node.op {
        case .conv2d(let a): try lowerConvolution(i, a)
        case .batchNorm(let epsilon): try lowerBatchNorm(i, epsilon: epsilon)
        case .relu, .clip, .sigmoid, .hardSigmoid, .hardSwish, .swish, .softmax: try lowerActivation(i)
        case .add, .mul, .sub: try lowerElementwise(i)
        case .globalAveragePool, .reduceMean: try lowerGlobalPool(i)
        case .averagePool(let a): try lowerPool(i, a, max: false)
        case .maxPool(let a): try lowerPool(i, a, max: true)
        case .gemm(let a): try lowerDense(i, a)
        case .dropout(let ratio):
            let x = try tensor(node.inputs[0])
            emit(KerasLayerSpec(className: "Dropout", name: layerName(for: node), config: ["rate": .float(ratio)],
                                inputs: [x], outputShape: x.shape), output: node.outputs[0])
        case .concat(let axis): try lowerConcat(i, axis: axis)
        case .flatten, .reshape: try lowerFlattenOrReshape(i)
        case .transpose(let perm): try lowerTranspose(i, perm: perm)
        case .pad(let mode, let value): try lowerPad(i, mode: mode, value: value)
        case .identity:
            values[node.outputs[0]] = values[node.inputs[0]]
        case .cast(let dtype):
            guard graph.type(of: node.inputs[0])?.dtype == dtype else {
                throw Refusal("a cast that changes the element type; Keras layers compute in float32")
            }
            values[node.outputs[0]] = values[node.inputs[0]]
        default:
            throw Refusal("no Keras layer computes \(node.op.name)")
        }
    }

    // MARK: - Convolutions

    /// conv2d → Conv2D (OIHW → HWIO; `groups`), DepthwiseConv2D (group ==
    /// input channels, `depth_multiplier` = out / in) or, with the 1×1
    /// convolution of the same Keras layer after it, SeparableConv2D. Pads
    /// become `valid`, `same` (when they equal TensorFlow's), or a
    /// ZeroPadding2D before a `valid` convolution.
    private mutating func lowerConvolution(_ i: Int, _ a: Conv2DAttributes) throws(Refusal) {
        let node = graph.nodes[i]
        var x = try tensor(node.inputs[0])
        let inShape = shape(of: node.inputs[0])
        guard inShape.rank == 4, let c = inShape[1].value, let h = inShape[2].value, let w = inShape[3].value else {
            throw Refusal("needs an input of known [N, C, H, W] sizes, got \(inShape)")
        }
        let weight = try parameter(node.inputs[1], "weight")
        guard weight.tensor.rank == 4 else { throw Refusal("weight must be OIHW, got \(weight.tensor.shape)") }
        let biasName = node.inputs.count > 2 && !node.inputs[2].isEmpty ? node.inputs[2] : nil
        let bias = try biasName.map { (b: String) throws(Refusal) in try parameter(b, "bias") }
        let outChannels = weight.tensor.shape[0]

        let pads = Padding.explicitPads(a.autoPad, pads: a.pads, inputHW: [h, w], kernel: a.kernel,
                                        strides: a.strides, dilations: a.dilations)
        let same = Padding.explicitPads(.sameUpper, pads: [0, 0, 0, 0], inputHW: [h, w], kernel: a.kernel,
                                        strides: a.strides, dilations: a.dilations)
        var padding = "valid"
        if pads == [0, 0, 0, 0] {
            padding = "valid"
        } else if pads == same {
            padding = "same"
        } else {
            guard pads.allSatisfy({ $0 >= 0 }) else { throw Refusal("negative pads \(pads) crop the input") }
            x = zeroPadding(for: node, x, top: pads[0], left: pads[1], bottom: pads[2], right: pads[3])
        }
        var config: [String: JSONValue] = [
            "kernel_size": .ints(a.kernel), "strides": .ints(a.strides), "padding": .string(padding),
            "dilation_rate": .ints(a.dilations), "data_format": .string("channels_last"),
            "use_bias": .bool(bias != nil),
        ]
        var output = node.outputs[0]
        var weights: [(String, Tensor)]
        var owned = [node.inputs[1]] + (biasName.map { [$0] } ?? [])
        let className: String
        let outShape = WeightLayout.kerasShape(irShape: shape(of: output))
        let isDepthwise = a.group == c && a.group > 1 && weight.tensor.shape[1] == 1 && outChannels % c == 0

        if isDepthwise, bias == nil, let pointwise = separablePointwise(after: node) {
            let p = graph.nodes[pointwise]
            let pw = try parameter(p.inputs[1], "pointwise weight")
            let pbName = p.inputs.count > 2 && !p.inputs[2].isEmpty ? p.inputs[2] : nil
            className = "SeparableConv2D"
            config["depth_multiplier"] = .number(Double(outChannels / c))
            config["filters"] = .number(Double(pw.tensor.shape[0]))
            config["use_bias"] = .bool(pbName != nil)
            weights = [("depthwise_kernel", WeightLayout.kerasDepthwiseKernel(weight.tensor, channels: c)),
                       ("pointwise_kernel", WeightLayout.kerasConvKernel(pw.tensor))]
            if let pbName { weights.append(("bias", try parameter(pbName, "bias").tensor)) }
            owned += [p.inputs[1]] + (pbName.map { [$0] } ?? [])
            absorbed.insert(pointwise)
            output = p.outputs[0]
        } else if isDepthwise {
            className = "DepthwiseConv2D"
            config["depth_multiplier"] = .number(Double(outChannels / c))
            weights = [("kernel", WeightLayout.kerasDepthwiseKernel(weight.tensor, channels: c))]
            if let bias { weights.append(("bias", bias.tensor)) }
        } else {
            className = "Conv2D"
            config["filters"] = .number(Double(outChannels))
            config["groups"] = .number(Double(a.group))
            weights = [("kernel", WeightLayout.kerasConvKernel(weight.tensor))]
            if let bias { weights.append(("bias", bias.tensor)) }
        }
        let activation = fusedActivation(after: output, layer: node.layer)
        config["activation"] = .string(activation?.name ?? "linear")
        if let activation {
            absorbed.insert(activation.node)
            output = graph.nodes[activation.node].outputs[0]
        }
        emit(KerasLayerSpec(className: className, name: layerName(for: node), config: config, inputs: [x],
                            weights: weights, trainable: try trainable(owned), outputShape: outShape), output: output)
    }

    /// The 1×1, stride-1, unpadded, ungrouped convolution of the same Keras
    /// layer that alone reads a depthwise convolution's output (SeparableConv2D's second half).
    private func separablePointwise(after node: Node) -> Int? {
        guard let layer = node.layer, let next = soleConsumer(of: node.outputs[0]) else { return nil }
        let p = graph.nodes[next]
        guard p.layer == layer, p.inputs.first == node.outputs[0], case .conv2d(let a) = p.op,
              a.kernel == [1, 1], a.strides == [1, 1], a.group == 1, a.dilations == [1, 1],
              a.autoPad == .valid || (a.autoPad == .explicit && a.pads == [0, 0, 0, 0]),
              graph.parameters[p.inputs[1]] != nil else { return nil }
        return next
    }

    /// A ZeroPadding2D layer in front of `node`'s layer.
    private mutating func zeroPadding(for node: Node, _ x: ExportedTensor, top: Int, left: Int, bottom: Int, right: Int) -> ExportedTensor {
        let shape: [Int?] = [nil, x.shape[1].map { $0 + top + bottom }, x.shape[2].map { $0 + left + right }, x.shape[3]]
        let spec = KerasLayerSpec(className: "ZeroPadding2D", name: layerName(for: node, suffix: "_pad"),
                                  config: ["padding": .array([.ints([top, bottom]), .ints([left, right])]),
                                           "data_format": .string("channels_last")],
                                  inputs: [x], outputShape: shape)
        layers.append(spec)
        return ExportedTensor(layer: spec.name, shape: shape)
    }

    // MARK: - Normalisation and activations

    /// batchNorm on the channel axis → BatchNormalization(axis -1). A scale of
    /// constant ones or a shift of constant zeros (Keras' `scale=False`,
    /// `center=False`, as the importer makes them) is left out.
    private mutating func lowerBatchNorm(_ i: Int, epsilon: Float) throws(Refusal) {
        let node = graph.nodes[i]
        let x = try tensor(node.inputs[0])
        let rank = shape(of: node.inputs[0]).rank
        guard rank == 4 || rank == 2 else { throw Refusal("normalises a rank-\(rank) value; only images and feature vectors are exported") }
        let gamma = try parameter(node.inputs[1], "scale"), beta = try parameter(node.inputs[2], "shift")
        let mean = try parameter(node.inputs[3], "mean"), variance = try parameter(node.inputs[4], "variance")
        let scale = !(gamma.role == .constant && gamma.tensor.scalars.allSatisfy { $0 == 1 })
        let center = !(beta.role == .constant && beta.tensor.scalars.allSatisfy { $0 == 0 })
        var weights: [(String, Tensor)] = []
        if scale { weights.append(("gamma", gamma.tensor)) }
        if center { weights.append(("beta", beta.tensor)) }
        weights += [("moving_mean", mean.tensor), ("moving_variance", variance.tensor)]
        let config: [String: JSONValue] = ["axis": .number(-1), "epsilon": .float(epsilon), "momentum": .number(0.99),
                                           "center": .bool(center), "scale": .bool(scale)]
        emit(KerasLayerSpec(className: "BatchNormalization", name: layerName(for: node), config: config, inputs: [x],
                            weights: weights, trainable: try trainable(Array(node.inputs[1...2])), outputShape: x.shape),
             output: node.outputs[0])
    }

    /// Keras' name for an activation op on a value of `rank`, if Keras 3 has it exactly.
    func kerasActivation(_ op: Op, rank: Int) -> String? {
        switch op {
        case .relu: return "relu"
        case .clip(let lo, let hi) where lo == 0 && hi == 6: return "relu6"
        case .sigmoid: return "sigmoid"
        // Keras 3's hard_sigmoid is relu6(x + 3) / 6.
        case .hardSigmoid(let alpha, let beta) where abs(alpha - 1.0 / 6) < 1e-7 && beta == 0.5: return "hard_sigmoid"
        case .swish: return "silu"
        case .hardSwish: return "hard_silu"
        case .softmax(let axis) where WeightLayout.kerasAxis(axis, rank: rank) == rank - 1: return "softmax"
        default: return nil
        }
    }

    /// The activation node of the same Keras layer that alone reads `value`
    /// (Conv2D's or Dense's `activation`), with its Keras name.
    func fusedActivation(after value: String, layer: String?) -> (node: Int, name: String)? {
        guard let layer, let next = soleConsumer(of: value), graph.nodes[next].layer == layer,
              let name = kerasActivation(graph.nodes[next].op, rank: shape(of: value).rank) else { return nil }
        return (next, name)
    }

    /// relu and clip(0, max) → ReLU; softmax on another axis → Softmax(axis);
    /// the rest → Activation.
    private mutating func lowerActivation(_ i: Int) throws(Refusal) {
        let node = graph.nodes[i]
        let x = try tensor(node.inputs[0])
        let rank = shape(of: node.inputs[0]).rank
        var config: [String: JSONValue]
        let className: String
        switch node.op {
        case .relu:
            className = "ReLU"
            config = ["max_value": .null, "negative_slope": .number(0), "threshold": .number(0)]
        case .clip(let lo, let hi) where lo == 0 && hi.isFinite && hi > 0:
            className = "ReLU"
            config = ["max_value": .float(hi), "negative_slope": .number(0), "threshold": .number(0)]
        case .softmax(let axis) where kerasActivation(node.op, rank: rank) == nil:
            guard let k = WeightLayout.kerasAxis(axis, rank: rank), k > 0 else { throw Refusal("softmax over the batch axis") }
            className = "Softmax"
            config = ["axis": .number(Double(k))]
        default:
            guard let name = kerasActivation(node.op, rank: rank) else {
                throw Refusal("Keras 3 has no activation computing \(node.op) exactly")
            }
            className = "Activation"
            config = ["activation": .string(name)]
        }
        emit(KerasLayerSpec(className: className, name: layerName(for: node), config: config, inputs: [x], outputShape: x.shape),
             output: node.outputs[0])
    }

    // MARK: - Elementwise

    /// Two activations: add → Add, mul → Multiply (same rank; Keras
    /// broadcasts 1s like the IR). An activation and a per-channel constant:
    /// `x * s`, `x + o`, `x - o` and `x * s + o` → Rescaling(scale, offset).
    private mutating func lowerElementwise(_ i: Int) throws(Refusal) {
        let node = graph.nodes[i]
        let data = dataInputs(of: node)
        if data.count == 2 {
            let a = try tensor(data[0]), b = try tensor(data[1])
            guard a.shape.count == b.shape.count else { throw Refusal("operands of rank \(a.shape.count) and \(b.shape.count); Keras merges equal ranks") }
            let className: String
            switch node.op {
            case .add: className = "Add"
            case .mul: className = "Multiply"
            default: throw Refusal("Graft exports no Keras layer for \(node.op.name) of two activations")
            }
            let outShape = WeightLayout.kerasShape(irShape: shape(of: node.outputs[0]))
            emit(KerasLayerSpec(className: className, name: layerName(for: node), config: [:], inputs: [a, b],
                                takesList: true, outputShape: outShape), output: node.outputs[0])
            return
        }
        guard data.count == 1 else { throw Refusal("has no activation input") }
        let x = try tensor(data[0])
        let rank = shape(of: data[0]).rank
        let constant = node.inputs.first { $0 != data[0] } ?? ""
        var scale: [Float] = [1], offset: [Float] = [0]
        var output = node.outputs[0]
        switch node.op {
        case .mul:
            scale = try channelValues(constant, rank: rank)
            if let next = soleConsumer(of: output), let o = try? rescalingOffset(next, reading: output, rank: rank) {
                offset = o
                absorbed.insert(next)
                output = graph.nodes[next].outputs[0]
            }
        case .add, .sub:
            offset = try rescalingOffset(i, reading: data[0], rank: rank)
        default:
            throw Refusal("no Keras layer computes \(node.op.name) with a constant")
        }
        func number(_ v: [Float]) -> JSONValue { v.count == 1 ? .float(v[0]) : .array(v.map(JSONValue.float)) }
        let lastNode = graph.nodes[graph.nodes.firstIndex { $0.outputs.contains(output) }!]
        emit(KerasLayerSpec(className: "Rescaling", name: layerName(for: lastNode),
                            config: ["scale": number(scale), "offset": number(offset)], inputs: [x], outputShape: x.shape),
             output: output)
    }

    /// The offset `o` of node `i` when it is `x + o`, `o + x` or `x - o` for a per-channel constant `o`.
    private func rescalingOffset(_ i: Int, reading x: String, rank: Int) throws(Refusal) -> [Float] {
        let node = graph.nodes[i]
        guard node.inputs.count == 2, node.inputs.contains(x), let other = node.inputs.first(where: { $0 != x }),
              graph.parameters[other] != nil else { throw Refusal("not an offset") }
        switch node.op {
        case .add: return try channelValues(other, rank: rank)
        case .sub where node.inputs[0] == x: return try channelValues(other, rank: rank).map { -$0 }
        default: throw Refusal("subtracts an activation from a constant; Keras' Rescaling computes x * scale + offset")
        }
    }

    /// A constant that broadcasts as one value, or one value per channel
    /// (IR axis 1 on images, the last axis otherwise).
    private func channelValues(_ value: String, rank: Int) throws(Refusal) -> [Float] {
        guard let p = graph.parameters[value], p.tensor.dtype.isFloatingPoint else {
            throw Refusal("its constant operand '\(value)' is not a stored float tensor")
        }
        let t = p.tensor
        if t.elementCount == 1 { return t.scalars }
        let padded = Array(repeating: 1, count: max(rank - t.rank, 0)) + t.shape
        let channelAxis = rank == 4 ? 1 : rank - 1
        guard padded.count == rank, padded.enumerated().allSatisfy({ $0.offset == channelAxis || $0.element == 1 }) else {
            throw Refusal("its constant \(t.shape) is neither one value nor one per channel")
        }
        return t.scalars
    }

    // MARK: - Pooling

    /// globalAveragePool or reduceMean over H and W → GlobalAveragePooling2D;
    /// a flatten or reshape to `[N, C]` that alone follows it makes `keepdims=False`.
    private mutating func lowerGlobalPool(_ i: Int) throws(Refusal) {
        let node = graph.nodes[i]
        let x = try tensor(node.inputs[0])
        let inShape = shape(of: node.inputs[0])
        guard inShape.rank == 4 else { throw Refusal("pools a rank-\(inShape.rank) value") }
        var keep = true
        if case .reduceMean(let axes, let keepDims) = node.op {
            guard Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3] else { throw Refusal("averages axes \(axes); only H and W map to a Keras layer") }
            keep = keepDims
        }
        var output = node.outputs[0]
        if keep, let next = soleConsumer(of: output) {
            let n = graph.nodes[next]
            let nextShape = shape(of: n.outputs[0])
            let flattens: Bool
            switch n.op {
            case .flatten(let axis): flattens = axis == 1
            case .reshape: flattens = nextShape.rank == 2 && nextShape[1] == inShape[1]
            default: flattens = false
            }
            if flattens, n.inputs[0] == output {
                keep = false
                absorbed.insert(next)
                output = n.outputs[0]
            }
        }
        let c = x.shape[3]
        let named = graph.nodes[graph.nodes.firstIndex { $0.outputs.contains(output) }!]
        emit(KerasLayerSpec(className: "GlobalAveragePooling2D", name: layerName(for: named),
                            config: ["keepdims": .bool(keep), "data_format": .string("channels_last")], inputs: [x],
                            outputShape: keep ? [nil, 1, 1, c] : [nil, c]), output: output)
    }

    /// averagePool / maxPool → AveragePooling2D / MaxPooling2D with `valid`
    /// or TensorFlow's `same` padding (padded cells never count, as in Keras).
    private mutating func lowerPool(_ i: Int, _ a: PoolAttributes, max: Bool) throws(Refusal) {
        let node = graph.nodes[i]
        let x = try tensor(node.inputs[0])
        let inShape = shape(of: node.inputs[0])
        guard inShape.rank == 4, let h = inShape[2].value, let w = inShape[3].value else { throw Refusal("needs known H and W") }
        let pads = Padding.explicitPads(a.autoPad, pads: a.pads, inputHW: [h, w], kernel: a.kernel, strides: a.strides)
        let same = Padding.explicitPads(.sameUpper, pads: [0, 0, 0, 0], inputHW: [h, w], kernel: a.kernel, strides: a.strides)
        let padding: String
        if pads == [0, 0, 0, 0] { padding = "valid" }
        else if pads == same, max || !a.countIncludePad { padding = "same" }
        else { throw Refusal("pads \(pads) (count_include_pad \(a.countIncludePad)) are neither Keras' 'valid' nor 'same'") }
        if a.ceilMode {
            for (axis, size) in [(0, h), (1, w)] {
                let floor = Padding.outputSize(input: size, kernel: a.kernel[axis], stride: a.strides[axis], dilation: 1,
                                               padBegin: pads[axis], padEnd: pads[axis + 2])
                let ceil = Padding.outputSize(input: size, kernel: a.kernel[axis], stride: a.strides[axis], dilation: 1,
                                              padBegin: pads[axis], padEnd: pads[axis + 2], ceilMode: true)
                guard floor == ceil else { throw Refusal("ceil_mode changes the output size; Keras pools round down") }
            }
        }
        emit(KerasLayerSpec(className: max ? "MaxPooling2D" : "AveragePooling2D", name: layerName(for: node),
                            config: ["pool_size": .ints(a.kernel), "strides": .ints(a.strides), "padding": .string(padding),
                                     "data_format": .string("channels_last")],
                            inputs: [x], outputShape: WeightLayout.kerasShape(irShape: shape(of: node.outputs[0]))),
             output: node.outputs[0])
    }

    // MARK: - Dense

    /// gemm on `[N, in]` with a stored weight → Dense (`[out, in]` with
    /// `transB`, else `[in, out]`, → Keras' `[in, out]`), plus the activation
    /// of the same Keras layer when one alone follows.
    private mutating func lowerDense(_ i: Int, _ a: GemmAttributes) throws(Refusal) {
        let node = graph.nodes[i]
        let x = try tensor(node.inputs[0])
        guard x.shape.count == 2 else { throw Refusal("Dense is exported on [batch, features] inputs only") }
        guard a.alpha == 1, !a.transA else { throw Refusal("alpha \(a.alpha), transA \(a.transA): Dense computes x @ W + b") }
        let weight = try parameter(node.inputs[1], "weight")
        guard weight.tensor.rank == 2 else { throw Refusal("weight must be 2-D, got \(weight.tensor.shape)") }
        let kernel = a.transB ? WeightLayout.kerasDenseKernel(weight.tensor) : weight.tensor
        let units = kernel.shape[1]
        var weights: [(String, Tensor)] = [("kernel", kernel)]
        var owned = [node.inputs[1]]
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            let bias = try parameter(node.inputs[2], "bias")
            guard a.beta == 1, bias.tensor.elementCount == units, bias.tensor.shape.last == units else {
                throw Refusal("bias \(bias.tensor.shape) with beta \(a.beta) is not one value per unit")
            }
            weights.append(("bias", bias.tensor.reshaped([units])))
            owned.append(node.inputs[2])
        }
        var output = node.outputs[0]
        let activation = fusedActivation(after: output, layer: node.layer)
        if let activation {
            absorbed.insert(activation.node)
            output = graph.nodes[activation.node].outputs[0]
        }
        emit(KerasLayerSpec(className: "Dense", name: layerName(for: node),
                            config: ["units": .number(Double(units)), "activation": .string(activation?.name ?? "linear"),
                                     "use_bias": .bool(weights.count == 2)],
                            inputs: [x], weights: weights, trainable: try trainable(owned), outputShape: [nil, units]),
             output: output)
    }

    // MARK: - Shape and layout

    /// concat on a non-batch axis → Concatenate (IR axis 1 of images → -1).
    private mutating func lowerConcat(_ i: Int, axis: Int) throws(Refusal) {
        let node = graph.nodes[i]
        var inputs: [ExportedTensor] = []
        for value in node.inputs { inputs.append(try tensor(value)) }
        let rank = shape(of: node.outputs[0]).rank
        guard dataInputs(of: node).count == node.inputs.count else { throw Refusal("concatenates a constant") }
        guard let k = WeightLayout.kerasAxis(axis, rank: rank), k > 0 else {
            throw Refusal("concatenates along the batch axis")
        }
        emit(KerasLayerSpec(className: "Concatenate", name: layerName(for: node),
                            config: ["axis": .number(Double(k == rank - 1 ? -1 : k))], inputs: inputs, takesList: true,
                            outputShape: WeightLayout.kerasShape(irShape: shape(of: node.outputs[0]))),
             output: node.outputs[0])
    }

    /// flatten(1) → Flatten and reshape → Reshape(target_shape) on values
    /// whose element order Keras shares: non-image values, images already in
    /// NHWC order (after `to_nhwc`), and images with H·W = 1 or C = 1.
    /// A Reshape to three dims yields an NHWC-ordered image, as in Keras.
    private mutating func lowerFlattenOrReshape(_ i: Int) throws(Refusal) {
        let node = graph.nodes[i]
        let inShape = shape(of: node.inputs[0]), outShape = shape(of: node.outputs[0])
        let x: ExportedTensor
        switch values[node.inputs[0]] {
        case .nhwc(let t): x = t
        case .tensor(let t):
            if inShape.rank == 4 {
                let spatial = inShape[2].value.flatMap { h in inShape[3].value.map { h * $0 } }
                guard spatial == 1 || inShape[1].value == 1 else {
                    throw Refusal("reorders an NCHW image; Keras would flatten it in NHWC order (the importer's to_nhwc transpose is missing)")
                }
            }
            x = t
        case nil: throw Refusal("reads a value no layer computes")
        }
        let rest = outShape.dims.dropFirst().map(\.value)
        guard outShape.rank >= 2, outShape[0] == inShape[0], !rest.contains(nil) else {
            throw Refusal("changes the batch dimension or has unknown sizes (\(inShape) → \(outShape))")
        }
        let target = rest.map { $0! }
        if case .flatten(let axis) = node.op {
            guard axis == 1 else { throw Refusal("flattens from axis \(axis); Keras' Flatten keeps only the batch") }
            emit(KerasLayerSpec(className: "Flatten", name: layerName(for: node), config: ["data_format": .string("channels_last")],
                                inputs: [x], outputShape: [nil, target.reduce(1, *)]), output: node.outputs[0])
            return
        }
        emit(KerasLayerSpec(className: "Reshape", name: layerName(for: node), config: ["target_shape": .ints(target)],
                            inputs: [x], outputShape: [nil] + target.map(Optional.some)),
             output: node.outputs[0], nhwc: target.count == 3)
    }

    /// Only the importer's layout transposes: NCHW → NHWC right before
    /// Flatten/Reshape, and NHWC → NCHW right after a Reshape to three dims.
    private mutating func lowerTranspose(_ i: Int, perm: [Int]) throws(Refusal) {
        let node = graph.nodes[i]
        switch (perm, values[node.inputs[0]]) {
        case ([0, 2, 3, 1], .tensor(let t)) where t.shape.count == 4:
            let readers = consumers(of: node.outputs[0])
            let ok = !graph.outputs.contains(node.outputs[0]) && readers.allSatisfy {
                switch graph.nodes[$0].op {
                case .flatten, .reshape: true
                case .transpose(let p): p == [0, 3, 1, 2]
                default: false
                }
            }
            guard ok else { throw Refusal("a general transpose; Keras layers keep NHWC, so only a transpose feeding Flatten or Reshape is exported") }
            values[node.outputs[0]] = .nhwc(t)
        case ([0, 3, 1, 2], .nhwc(let t)):
            values[node.outputs[0]] = .tensor(t)
        default:
            throw Refusal("a general transpose (perm \(perm)); Keras has no layer for it")
        }
    }

    /// pad (constant 0) of H and W only → ZeroPadding2D. The pads may come
    /// from a shape subgraph whose values shape inference knows.
    private mutating func lowerPad(_ i: Int, mode: PadMode, value: Float) throws(Refusal) {
        let node = graph.nodes[i]
        let x = try tensor(node.inputs[0])
        guard mode == .constant, value == 0 else { throw Refusal("\(mode) padding with \(value); Keras' ZeroPadding2D pads zeros") }
        guard node.inputs.count > 1, let pads = constantInts(node.inputs[1]) else {
            throw Refusal("its pads are computed at run time")
        }
        guard x.shape.count == 4, pads.count == 8, pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0,
              pads.allSatisfy({ $0 >= 0 }) else {
            throw Refusal("pads \(pads) touch the batch or channel axis or are negative; ZeroPadding2D pads H and W")
        }
        emit(KerasLayerSpec(className: "ZeroPadding2D", name: layerName(for: node),
                            config: ["padding": .array([.ints([pads[2], pads[6]]), .ints([pads[3], pads[7]])]),
                                     "data_format": .string("channels_last")],
                            inputs: [x], outputShape: WeightLayout.kerasShape(irShape: shape(of: node.outputs[0]))),
             output: node.outputs[0])
    }
}
