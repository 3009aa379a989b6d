import GraphIR
import TensorCore

/// Conv2D: kernel HWIO → OIHW, `padding="same"` → explicit TensorFlow pads
/// (the odd extra at the end) from the known input size, optional bias, then
/// the `activation` as its own node.
@Sendable func importConv2D(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    try cfg.requireChannelsLast()
    let (x, c, h, w) = try call.spatialInput()
    let filters = try cfg.int("filters")
    let kernel = try cfg.ints("kernel_size", count: 2)
    let groups = try cfg.int("groups", default: 1)
    let useBias = try cfg.bool("use_bias", default: true)
    guard groups >= 1, c % groups == 0, filters % groups == 0 else {
        throw cfg.badValue("groups", "\(groups) does not divide \(c) input and \(filters) output channels")
    }
    let tensors = try call.weights.resolve(useBias ? ["kernel", "bias"] : ["kernel"])
    try call.weights.check(tensors[0], "kernel", is: [kernel[0], kernel[1], c / groups, filters])
    if useBias { try call.weights.check(tensors[1], "bias", is: [filters]) }
    let weight = call.weight("kernel", WeightLayout.convKernel(tensors[0]), into: &b)
    let bias = useBias ? call.weight("bias", tensors[1], into: &b) : ""
    let y = try convolution(call, x: x, inputHW: [h, w], kernel: kernel, outChannels: filters, group: groups,
                            weight: weight, bias: bias, name: call.path, builder: &b)
    return try appendActivation(cfg.value("activation"), to: y, call: call, builder: &b)
}

/// DepthwiseConv2D: kernel `[kH, kW, C, M]` → `[C * M, 1, kH, kW]`, `group = C`.
@Sendable func importDepthwiseConv2D(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    try cfg.requireChannelsLast()
    let (x, c, h, w) = try call.spatialInput()
    let kernel = try cfg.ints("kernel_size", count: 2)
    let multiplier = try cfg.int("depth_multiplier", default: 1)
    let useBias = try cfg.bool("use_bias", default: true)
    // Keras 3 names the variable `kernel`, tf.keras 2 `depthwise_kernel`.
    let kernelName = call.weights.stored.contains { $0.variableName == "kernel" } ? "kernel" : "depthwise_kernel"
    let tensors = try call.weights.resolve(useBias ? [kernelName, "bias"] : [kernelName])
    try call.weights.check(tensors[0], "depthwise_kernel", is: [kernel[0], kernel[1], c, multiplier])
    if useBias { try call.weights.check(tensors[1], "bias", is: [c * multiplier]) }
    let weight = call.weight("depthwise_kernel", WeightLayout.depthwiseKernel(tensors[0]), into: &b)
    let bias = useBias ? call.weight("bias", tensors[1], into: &b) : ""
    let y = try convolution(call, x: x, inputHW: [h, w], kernel: kernel, outChannels: c * multiplier, group: c,
                            weight: weight, bias: bias, name: call.path, builder: &b)
    return try appendActivation(cfg.value("activation"), to: y, call: call, builder: &b)
}

/// SeparableConv2D: a depthwise convolution (strides, padding, dilation; no
/// bias) named `<layer>/depthwise`, then a 1×1 pointwise convolution with the bias.
@Sendable func importSeparableConv2D(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    try cfg.requireChannelsLast()
    let (x, c, h, w) = try call.spatialInput()
    let filters = try cfg.int("filters")
    let kernel = try cfg.ints("kernel_size", count: 2)
    let multiplier = try cfg.int("depth_multiplier", default: 1)
    let useBias = try cfg.bool("use_bias", default: true)
    let names = ["depthwise_kernel", "pointwise_kernel"] + (useBias ? ["bias"] : [])
    let tensors = try call.weights.resolve(names)
    try call.weights.check(tensors[0], "depthwise_kernel", is: [kernel[0], kernel[1], c, multiplier])
    try call.weights.check(tensors[1], "pointwise_kernel", is: [1, 1, c * multiplier, filters])
    if useBias { try call.weights.check(tensors[2], "bias", is: [filters]) }
    let depthwise = call.weight("depthwise_kernel", WeightLayout.depthwiseKernel(tensors[0]), into: &b)
    let pointwise = call.weight("pointwise_kernel", WeightLayout.convKernel(tensors[1]), into: &b)
    let bias = useBias ? call.weight("bias", tensors[2], into: &b) : ""
    let d = try convolution(call, x: x, inputHW: [h, w], kernel: kernel, outChannels: c * multiplier, group: c,
                            weight: depthwise, bias: "", name: "\(call.path)/depthwise", builder: &b)
    let shape = b.shape(of: d)
    let y = b.node(.conv2d(Conv2DAttributes(kernel: [1, 1])), [d, pointwise, bias],
                   shape: Shape([batchDim, .known(filters), shape[2], shape[3]]), name: call.path, layer: call.path)
    return try appendActivation(cfg.value("activation"), to: y, call: call, builder: &b)
}

/// One `conv2d` node with strides, dilations and explicit pads from the layer's config.
func convolution(_ call: LayerCall, x: String, inputHW: [Int], kernel: [Int], outChannels: Int, group: Int,
                 weight: String, bias: String, name: String, builder b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    let strides = try cfg.ints("strides", count: 2, default: [1, 1])
    let dilations = try cfg.ints("dilation_rate", count: 2, default: [1, 1])
    let same = try cfg.padding()
    guard strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }), kernel.allSatisfy({ $0 >= 1 }) else {
        throw cfg.badValue("strides", "kernel, strides and dilation_rate must be positive")
    }
    let pads = Padding.explicitPads(same ? .sameUpper : .valid, pads: [0, 0, 0, 0], inputHW: inputHW,
                                    kernel: kernel, strides: strides, dilations: dilations)
    let outH = Padding.outputSize(input: inputHW[0], kernel: kernel[0], stride: strides[0], dilation: dilations[0],
                                  padBegin: pads[0], padEnd: pads[2])
    let outW = Padding.outputSize(input: inputHW[1], kernel: kernel[1], stride: strides[1], dilation: dilations[1],
                                  padBegin: pads[1], padEnd: pads[3])
    let attributes = Conv2DAttributes(kernel: kernel, strides: strides, dilations: dilations, pads: pads,
                                      autoPad: .explicit, group: group)
    return b.node(.conv2d(attributes), [x, weight, bias],
                  shape: Shape([batchDim, .known(outChannels), .known(outH), .known(outW)]), name: name, layer: call.path)
}
