import GraphIR
import TensorCore

/// Dense on a `[N, in]` input: kernel `[in, out]` → `[out, in]`,
/// `gemm(transB: true)`, then the activation.
@Sendable func importDense(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    let (x, shape) = try call.single()
    guard shape.rank == 2, let features = shape[1].value else {
        throw .unsupportedShape(layer: call.path, className: call.layer.className, shape: "\(shape)",
                                reason: "Dense is imported on 2-D inputs [batch, features] only")
    }
    let units = try cfg.int("units")
    let useBias = try cfg.bool("use_bias", default: true)
    let tensors = try call.weights.resolve(useBias ? ["kernel", "bias"] : ["kernel"])
    try call.weights.check(tensors[0], "kernel", is: [features, units])
    if useBias { try call.weights.check(tensors[1], "bias", is: [units]) }
    let weight = call.weight("kernel", WeightLayout.denseKernel(tensors[0]), into: &b)
    let bias = useBias ? call.weight("bias", tensors[1], into: &b) : ""
    let y = b.node(.gemm(GemmAttributes(transB: true)), [x, weight, bias],
                   shape: Shape([batchDim, .known(units)]), name: call.path, layer: call.path)
    return try appendActivation(cfg.value("activation"), to: y, call: call, builder: &b)
}

/// Dropout: identity at inference; the rate is kept for training and export.
@Sendable func importDropout(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let (x, shape) = try call.single()
    let rate = try call.config.double("rate", default: 0.5)
    return b.node(.dropout(ratio: Float(rate)), [x], shape: shape, name: call.path, layer: call.path)
}
