import GraphIR
import TensorCore

/// Rescaling: `x * scale + offset` as `mul` and (when the offset is not 0)
/// `add` with `.constant` parameters; per-channel lists become `[C, 1, 1]` on 4-D.
@Sendable func importRescaling(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    let (x, shape) = try call.single()
    let scale = try constantValues(cfg, "scale", default: 1, shape: shape)
    let offset = try constantValues(cfg, "offset", default: 0, shape: shape)
    let scaleValue = b.parameter("\(call.path)/scale", scale, role: .constant)
    let isOffsetZero = offset.scalars.allSatisfy { $0 == 0 }
    let scaled = b.node(.mul, [x, scaleValue], shape: shape, name: isOffsetZero ? call.path : "\(call.path)/scale", layer: call.path)
    if isOffsetZero { return scaled }
    let offsetValue = b.parameter("\(call.path)/offset", offset, role: .constant)
    return b.node(.add, [scaled, offsetValue], shape: shape, name: call.path, layer: call.path)
}

private func constantValues(_ cfg: LayerConfigReader, _ key: String, default fallback: Float,
                            shape: Shape) throws(KerasImportError) -> Tensor {
    guard let v = cfg.value(key) else { return Tensor(shape: [1], scalars: [fallback]) }
    if let n = v.number { return Tensor(shape: [1], scalars: [Float(n)]) }
    guard let list = v.array?.compactMap(\.number), list.count == v.array?.count, !list.isEmpty else {
        throw cfg.badValue(key, "should be a number or a list of numbers")
    }
    let values = list.map(Float.init)
    if values.count == 1 { return Tensor(shape: [1], scalars: values) }
    guard shape.rank >= 2, shape.dims.last != nil else { throw cfg.badValue(key, "per-channel values need a channel axis") }
    let channels = shape.rank == 4 ? shape[1].value : shape[shape.rank - 1].value
    guard channels == values.count else {
        throw cfg.badValue(key, "has \(values.count) values for \(channels.map(String.init) ?? "?") channels")
    }
    return Tensor(shape: shape.rank == 4 ? [values.count, 1, 1] : [values.count], scalars: values)
}
