import GraphIR
import TensorCore

/// Flatten keeps Keras' element order: a 4-D (NCHW) input is first transposed
/// back to NHWC (`<layer>/to_nhwc`), so a following Dense sees the features in
/// the order its kernel was trained on.
@Sendable func importFlatten(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let (x, shape) = try call.single()
    let source = toKerasOrder(x, shape: shape, call: call, builder: &b)
    let rest = b.shape(of: source).dims.dropFirst().map(\.value)
    let features: Dim = rest.contains(nil) ? .symbol("?") : .known(rest.map { $0! }.reduce(1, *))
    return b.node(.flatten(axis: 1), [source], shape: Shape([batchDim, features]), name: call.path, layer: call.path)
}

/// Reshape to `target_shape` (batch excluded, one -1 allowed) in Keras' element
/// order: 4-D inputs go to NHWC first, 4-D results come back to NCHW.
@Sendable func importReshape(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    let (x, shape) = try call.single()
    guard let target = cfg.value("target_shape")?.array?.compactMap(\.int),
          target.count == cfg.value("target_shape")?.array?.count, !target.isEmpty else {
        throw cfg.badValue("target_shape", "should be a list of integers")
    }
    guard let known = shape.dims.dropFirst().map(\.value) as [Int?]?, !known.contains(nil) else {
        throw .unsupportedShape(layer: call.path, className: call.layer.className, shape: "\(shape)",
                                reason: "Reshape needs the input's non-batch sizes")
    }
    let total = known.map { $0! }.reduce(1, *)
    var resolved = target
    if let unknown = target.firstIndex(of: -1) {
        let rest = target.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
        guard target.filter({ $0 == -1 }).count == 1, rest > 0, total % rest == 0 else {
            throw cfg.badValue("target_shape", "\(target) does not fit \(total) elements")
        }
        resolved[unknown] = total / rest
    }
    guard resolved.allSatisfy({ $0 > 0 }), resolved.reduce(1, *) == total else {
        throw cfg.badValue("target_shape", "\(target) does not fit \(total) elements")
    }
    let source = toKerasOrder(x, shape: shape, call: call, builder: &b)
    let spec = b.parameter("\(call.path)/shape", Tensor(shape: [resolved.count + 1], int64s: [0] + resolved.map(Int64.init)),
                           role: .constant)
    let kerasShape = Shape([batchDim] + resolved.map(Dim.known))
    guard resolved.count == 3 else {
        return b.node(.reshape, [source, spec], shape: kerasShape, name: call.path, layer: call.path)
    }
    let nhwc = b.node(.reshape, [source, spec], shape: kerasShape, name: "\(call.path)/nhwc", layer: call.path)
    return b.node(.transpose(perm: [0, 3, 1, 2]), [nhwc], shape: WeightLayout.irShape(kerasDims: [nil] + resolved),
                  name: call.path, layer: call.path)
}

/// ZeroPadding2D: `padding` as `p`, `[h, w]` or `[[top, bottom], [left, right]]`.
@Sendable func importZeroPadding2D(_ call: LayerCall, _ b: inout GraphBuilder) throws(KerasImportError) -> String {
    let cfg = call.config
    try cfg.requireChannelsLast()
    let (x, c, h, w) = try call.spatialInput()
    let raw = cfg.value("padding") ?? .number(1)
    var pads: [Int]   // top, bottom, left, right
    if let p = raw.int {
        pads = [p, p, p, p]
    } else if let pair = raw.array, pair.count == 2, let ph = pair[0].int, let pw = pair[1].int {
        pads = [ph, ph, pw, pw]
    } else if let pair = raw.array, pair.count == 2, let hh = pair[0].array?.compactMap(\.int), let ww = pair[1].array?.compactMap(\.int),
              hh.count == 2, ww.count == 2 {
        pads = hh + ww
    } else {
        throw cfg.badValue("padding", "should be an integer, two integers or two pairs")
    }
    guard pads.allSatisfy({ $0 >= 0 }) else { throw cfg.badValue("padding", "must not be negative") }
    let spec = b.parameter("\(call.path)/pads", Tensor(shape: [8], int64s: [0, 0, pads[0], pads[2], 0, 0, pads[1], pads[3]].map(Int64.init)),
                           role: .constant)
    let shape = Shape([batchDim, .known(c), .known(h + pads[0] + pads[1]), .known(w + pads[2] + pads[3])])
    return b.node(.pad(mode: .constant, value: 0), [x, spec], shape: shape, name: call.path, layer: call.path)
}

/// A 4-D (NCHW) value transposed to Keras' NHWC order; other ranks unchanged.
func toKerasOrder(_ x: String, shape: Shape, call: LayerCall, builder b: inout GraphBuilder) -> String {
    guard shape.rank == 4 else { return x }
    return b.node(.transpose(perm: [0, 2, 3, 1]), [x], shape: Shape([shape[0], shape[2], shape[3], shape[1]]),
                  name: "\(call.path)/to_nhwc", layer: call.path)
}
