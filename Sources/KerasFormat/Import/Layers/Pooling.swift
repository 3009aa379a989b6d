import GraphIR
import TensorCore

/// GlobalAveragePooling2D: `[N, C, H, W] → [N, C, 1, 1]`, then flattened to
/// `[N, C]` unless `keepdims` (Keras' `[N, 1, 1, C]`, NCHW here).
@Sendable func importGlobalAveragePooling2D(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    try call.config.requireChannelsLast()
    let (x, c, _, _) = try call.spatialInput()
    let keep = try call.config.bool("keepdims", default: false)
    let pooled = b.node(.globalAveragePool, [x], shape: Shape([batchDim, .known(c), .known(1), .known(1)]),
                        name: keep ? call.path : "\(call.path)/pool", layer: call.path)
    if keep { return pooled }
    return b.node(.flatten(axis: 1), [pooled], shape: Shape([batchDim, .known(c)]), name: call.path, layer: call.path)
}

/// AveragePooling2D and MaxPooling2D; `strides` default to `pool_size`, "same"
/// pads explicitly and padded cells do not count in averages (as in TensorFlow).
func importPool(max: Bool) -> @Sendable (LayerCall, inout GraphBuilder) throws(KerasImportError) -> String {
    { (call: LayerCall, b: inout GraphBuilder) throws(KerasImportError) -> String in
        let cfg = call.config
        try cfg.requireChannelsLast()
        let (x, c, h, w) = try call.spatialInput()
        let size = try cfg.ints("pool_size", count: 2, default: [2, 2])
        let strides = try cfg.ints("strides", count: 2, default: size)
        guard size.allSatisfy({ $0 >= 1 }), strides.allSatisfy({ $0 >= 1 }) else {
            throw cfg.badValue("pool_size", "pool_size and strides must be positive")
        }
        let same = try cfg.padding()
        let pads = Padding.explicitPads(same ? .sameUpper : .valid, pads: [0, 0, 0, 0], inputHW: [h, w],
                                        kernel: size, strides: strides)
        let outH = Padding.outputSize(input: h, kernel: size[0], stride: strides[0], dilation: 1, padBegin: pads[0], padEnd: pads[2])
        let outW = Padding.outputSize(input: w, kernel: size[1], stride: strides[1], dilation: 1, padBegin: pads[1], padEnd: pads[3])
        let attributes = PoolAttributes(kernel: size, strides: strides, pads: pads, autoPad: .explicit,
                                        ceilMode: false, countIncludePad: false)
        return b.node(max ? .maxPool(attributes) : .averagePool(attributes), [x],
                      shape: Shape([batchDim, .known(c), .known(outH), .known(outW)]), name: call.path, layer: call.path)
    }
}
