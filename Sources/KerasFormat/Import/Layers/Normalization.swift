import GraphIR
import TensorCore

/// BatchNormalization over the channel axis, inference form. `gamma` and
/// `beta` are learned weights; `moving_mean` and `moving_variance` are
/// statistics. With `scale`/`center` off, ones/zeros constants stand in.
@Sendable func importBatchNormalization(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    let (x, shape) = try call.single()
    var axis = -1
    if let v = cfg.value("axis") {
        guard let a = v.int ?? (v.array?.count == 1 ? v.array?[0].int : nil) else {
            throw cfg.badValue("axis", "must be a single axis")
        }
        axis = a
    }
    guard let irAxis = WeightLayout.irAxis(axis, rank: shape.rank), irAxis == 1, let channels = shape[1].value else {
        throw .unsupportedShape(layer: call.path, className: call.layer.className, shape: "\(shape)",
                                reason: "normalises axis \(axis); only the channel axis with a known size is supported")
    }
    let scale = try cfg.bool("scale", default: true)
    let center = try cfg.bool("center", default: true)
    let names = (scale ? ["gamma"] : []) + (center ? ["beta"] : []) + ["moving_mean", "moving_variance"]
    let tensors = try call.weights.resolve(names)
    for (tensor, name) in zip(tensors, names) { try call.weights.check(tensor, name, is: [channels]) }
    var next = 0
    func take() -> Tensor { defer { next += 1 }; return tensors[next] }
    let gamma = scale ? call.weight("gamma", take(), into: &b)
        : b.parameter("\(call.path)/gamma", Tensor(shape: [channels], scalars: .init(repeating: 1, count: channels)), role: .constant)
    let beta = center ? call.weight("beta", take(), into: &b)
        : b.parameter("\(call.path)/beta", Tensor(zeros: [channels]), role: .constant)
    let mean = b.parameter("\(call.path)/moving_mean", take(), role: .statistic)
    let variance = b.parameter("\(call.path)/moving_variance", take(), role: .statistic)
    let epsilon = try cfg.double("epsilon", default: 1e-3)
    return b.node(.batchNorm(epsilon: Float(epsilon)), [x, gamma, beta, mean, variance],
                  shape: shape, name: call.path, layer: call.path)
}
