import GraphIR

/// Conv and BatchNormalization.
let convolutionImporters: [String: ONNXOpImporter] = [
    "Conv": importConv,
    "BatchNormalization": importBatchNormalization,
]

/// Conv: inputs X, W (OIHW, as in the IR), B (optional). Only 2-D convolutions.
/// `kernel_shape` defaults to W's spatial dims when W is a constant.
@Sendable func importConv(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    let kernel: [Int]
    if let stated = try context.optionalInts("kernel_shape") {
        kernel = stated
    } else if let w = context.input(1), let weight = context.constants[w], weight.rank >= 3 {
        kernel = Array(weight.shape.dropFirst(2))
    } else {
        throw context.invalidAttribute("kernel_shape", "is missing and the weight is not a constant")
    }
    guard kernel.count == 2 else {
        throw context.invalid("is a \(kernel.count)-D convolution; only 2-D (NCHW) is supported")
    }
    return .conv2d(Conv2DAttributes(
        kernel: kernel,
        strides: try spatial(context, "strides", default: [1, 1]),
        dilations: try spatial(context, "dilations", default: [1, 1]),
        pads: try spatialPads(context),
        autoPad: try autoPad(context),
        group: try context.int("group", default: 1)))
}

/// BatchNormalization in inference mode: inputs X, scale, B, mean, var.
@Sendable func importBatchNormalization(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    guard try context.int("training_mode", default: 0) == 0 else {
        throw context.invalidAttribute("training_mode", "is 1; only inference-mode BatchNormalization is supported")
    }
    guard try context.int("spatial", default: 1) == 1 else {
        throw context.invalidAttribute("spatial", "is 0 (per-activation statistics); only spatial BatchNormalization is supported")
    }
    guard node.inputs.count == 5 else { throw context.invalid("has \(node.inputs.count) inputs; 5 are required") }
    try context.keepOutputs(1)
    return .batchNorm(epsilon: try context.float("epsilon", default: 1e-5))
}

// MARK: - Attributes shared with pooling

/// A two-element spatial attribute (`strides`, `dilations`).
func spatial(_ context: ImportContext, _ name: String, default fallback: [Int]) throws -> [Int] {
    let values = try context.ints(name, default: fallback)
    guard values.count == 2 else { throw context.invalidAttribute(name, "has \(values.count) values; 2 are required") }
    return values
}

/// `pads` as `[top, left, bottom, right]` — ONNX's `[x1_begin, x2_begin, x1_end, x2_end]` is the same order.
func spatialPads(_ context: ImportContext) throws -> [Int] {
    let pads = try context.ints("pads", default: [0, 0, 0, 0])
    guard pads.count == 4 else { throw context.invalidAttribute("pads", "has \(pads.count) values; 4 are required") }
    guard pads.allSatisfy({ $0 >= 0 }) else { throw context.invalidAttribute("pads", "has negative values \(pads)") }
    return pads
}

func autoPad(_ context: ImportContext) throws -> AutoPad {
    switch try context.string("auto_pad", default: "NOTSET") {
    case "NOTSET", "": return .explicit
    case "SAME_UPPER": return .sameUpper
    case "SAME_LOWER": return .sameLower
    case "VALID": return .valid
    case let other: throw context.invalidAttribute("auto_pad", "is \"\(other)\"; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID")
    }
}
