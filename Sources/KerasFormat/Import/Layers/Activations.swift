import GraphIR
import TensorCore

/// Keras activation names Graft translates (aliases included).
let supportedActivations: Set<String> = [
    "linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "swish", "silu", "hard_swish", "hard_silu", "softmax",
]

/// The activation's name from a config value: `"relu"`, or Keras 3's serialised
/// form `{"class_name": "function", "config": "relu", …}`; `nil` when absent.
func activationName(_ value: JSONValue?) -> String? {
    guard let value, !value.isNull else { return nil }
    if let s = value.string { return s }
    return value["config"]?.string ?? value["config"]?["name"]?.string ?? value["class_name"]?.string
}

/// Appends the node for `activation` after `x` (none for `linear`) and returns the result.
func appendActivation(_ activation: JSONValue?, to x: String, call: LayerCall,
                      builder b: inout GraphBuilder, identityForLinear: Bool = false) throws(KerasImportError) -> String {
    let name = activationName(activation) ?? "linear"
    let shape = b.shape(of: x)
    let op: Op
    switch name {
    case "linear":
        guard identityForLinear else { return x }
        op = .identity
    case "relu": op = .relu
    case "relu6": op = .clip(min: 0, max: 6)
    case "sigmoid": op = .sigmoid
    // Keras 3: relu6(x + 3) / 6; tf.keras 2: clip(0.2 x + 0.5, 0, 1).
    case "hard_sigmoid": op = call.kerasMajorVersion >= 3 ? .hardSigmoid(alpha: 1.0 / 6, beta: 0.5) : .hardSigmoid(alpha: 0.2, beta: 0.5)
    case "swish", "silu": op = .swish
    case "hard_swish", "hard_silu": op = .hardSwish
    case "softmax": op = .softmax(axis: shape.rank == 4 ? 1 : max(shape.rank - 1, 0))
    default:
        throw .badLayerConfig(layer: call.path, className: call.layer.className, key: "activation",
                              reason: "'\(name)' is not supported")
    }
    let nodeName = identityForLinear ? call.path : "\(call.path)/\(name)"
    return b.node(op, [x], shape: shape, name: nodeName, layer: call.path)
}

/// Activation layer: one node, `identity` for `linear` so the layer stays visible.
@Sendable func importActivation(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let (x, _) = try call.single()
    return try appendActivation(call.config.value("activation"), to: x, call: call, builder: &b, identityForLinear: true)
}

/// ReLU layer: `max_value` → clip; a negative slope or threshold is refused.
@Sendable func importReLU(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    let (x, shape) = try call.single()
    let slope = try cfg.double("negative_slope", default: 0)
    let threshold = try cfg.double("threshold", default: 0)
    guard slope == 0 else { throw cfg.badValue("negative_slope", "is \(slope); only 0 is supported") }
    guard threshold == 0 else { throw cfg.badValue("threshold", "is \(threshold); only 0 is supported") }
    if let maxValue = try cfg.optionalDouble("max_value") {
        return b.node(.clip(min: 0, max: Float(maxValue)), [x], shape: shape, name: call.path, layer: call.path)
    }
    return b.node(.relu, [x], shape: shape, name: call.path, layer: call.path)
}

/// Softmax layer over one axis (Keras' default -1, the channels).
@Sendable func importSoftmax(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let (x, shape) = try call.single()
    let axes = call.config.value("axis").flatMap { $0.int.map { [$0] } } ?? [-1]
    guard axes.count == 1, let axis = WeightLayout.irAxis(axes[0], rank: shape.rank) else {
        throw call.config.badValue("axis", "must be one axis of the \(shape.rank)-D input")
    }
    return b.node(.softmax(axis: axis), [x], shape: shape, name: call.path, layer: call.path)
}
