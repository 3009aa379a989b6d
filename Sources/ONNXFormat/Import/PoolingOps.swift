import GraphIR

/// Pooling and reductions.
let poolingImporters: [String: ONNXOpImporter] = [
    "GlobalAveragePool": { _, _ in .globalAveragePool },
    "AveragePool": { _, context in .averagePool(try poolAttributes(&context, average: true)) },
    "MaxPool": { _, context in .maxPool(try poolAttributes(&context, average: false)) },
    "ReduceMean": importReduceMean,
]

/// 2-D pooling attributes; dilated pooling and MaxPool's Indices output are refused.
func poolAttributes(_ context: inout ImportContext, average: Bool) throws -> PoolAttributes {
    let kernel = try context.ints("kernel_shape")
    guard kernel.count == 2 else {
        throw context.invalid("pools over \(kernel.count) spatial dims; only 2-D (NCHW) is supported")
    }
    guard try context.ints("dilations", default: [1, 1]).allSatisfy({ $0 == 1 }) else {
        throw context.invalidAttribute("dilations", "is not all 1; dilated pooling is not supported")
    }
    try context.keepOutputs(1)
    return PoolAttributes(
        kernel: kernel,
        strides: try spatial(context, "strides", default: [1, 1]),
        pads: try spatialPads(context),
        autoPad: try autoPad(context),
        ceilMode: try context.int("ceil_mode", default: 0) != 0,
        countIncludePad: average ? try context.int("count_include_pad", default: 0) != 0 : false)
}

/// ReduceMean: `axes` is an attribute before opset 18 and an optional constant input from 18 on.
@Sendable func importReduceMean(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    let keepDims = try context.int("keepdims", default: 1) != 0
    let axes: [Int]
    if context.opset < 18 {
        axes = try context.ints("axes", default: [])
    } else {
        axes = try context.intsInput(1, purpose: "axes") ?? []
        context.inputs = [node.inputs.first ?? ""]
        if axes.isEmpty, try context.int("noop_with_empty_axes", default: 0) != 0 {
            return .identity
        }
    }
    return .reduceMean(axes: axes, keepDims: keepDims)
}
