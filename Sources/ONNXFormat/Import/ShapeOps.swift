import GraphIR
import TensorCore

/// Ops that move, select or create data without arithmetic.
let shapeImporters: [String: ONNXOpImporter] = [
    "Flatten": { _, context in .flatten(axis: try context.int("axis", default: 1)) },
    "Reshape": importReshape,
    "Transpose": importTranspose,
    "Concat": { _, context in .concat(axis: try context.int("axis")) },
    "Squeeze": importSqueeze,
    "Unsqueeze": importUnsqueeze,
    "Shape": { _, context in
        .shape(start: try context.int("start", default: 0), end: context.attribute("end") == nil ? nil : try context.int("end"))
    },
    "Gather": { _, context in .gather(axis: try context.int("axis", default: 0)) },
    "Slice": importSlice,
    "Pad": importPad,
    "ConstantOfShape": importConstantOfShape,
    "Cast": importCast,
]

/// Reshape: inputs data, shape. `allowzero = 1` (a 0 meaning an empty dimension) is refused.
@Sendable func importReshape(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    guard try context.int("allowzero", default: 0) == 0 else {
        throw context.invalidAttribute("allowzero", "is 1; only the default (0 copies the input's dimension) is supported")
    }
    return .reshape
}

/// Transpose: `perm` defaults to reversing the axes, which needs the input's rank.
@Sendable func importTranspose(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    if let perm = try context.optionalInts("perm") { return .transpose(perm: perm) }
    guard let x = context.input(0), let rank = context.rank(of: x) else {
        throw context.invalidAttribute("perm", "is missing and the input's rank is unknown")
    }
    return .transpose(perm: Array((0..<rank).reversed()))
}

/// Squeeze: `axes` is an optional attribute before opset 13, an optional constant input from 13 on.
@Sendable func importSqueeze(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    .squeeze(axes: try axes(node, &context, required: false))
}

/// Unsqueeze: `axes` is a required attribute before opset 13, a required constant input from 13 on.
@Sendable func importUnsqueeze(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    .unsqueeze(axes: try axes(node, &context, required: true))
}

private func axes(_ node: ONNXNode, _ context: inout ImportContext, required: Bool) throws -> [Int] {
    let axes: [Int]?
    if context.opset < 13 {
        axes = try context.optionalInts("axes")
    } else {
        axes = try context.intsInput(1, purpose: "axes")
        context.inputs = [node.inputs.first ?? ""]
    }
    if required && axes == nil { throw context.invalid("has no axes") }
    return axes ?? []
}

/// Slice: before opset 10 `starts`, `ends`, `axes` are attributes and become
/// int64 constant inputs; from 10 on they are inputs already (data, starts, ends, axes, steps).
@Sendable func importSlice(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    guard context.opset < 10 else { return .slice }
    let starts = try context.ints("starts")
    let ends = try context.ints("ends")
    guard starts.count == ends.count else {
        throw context.invalid("has \(starts.count) starts but \(ends.count) ends")
    }
    var inputs = [node.inputs.first ?? "",
                  context.makeConstant(starts, role: "starts"),
                  context.makeConstant(ends, role: "ends")]
    if let axes = try context.optionalInts("axes") {
        inputs.append(context.makeConstant(axes, role: "axes"))
    }
    context.inputs = inputs
    return .slice
}

/// Pad: before opset 11 `pads`, `mode` and `value` are attributes (`pads`
/// becomes an int64 constant input); from 11 on pads is an input (it may be
/// computed) and `constant_value` must be a constant. Per-axis pads (`axes`, opset 18) are refused.
@Sendable func importPad(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    let modeName = try context.string("mode", default: "constant")
    guard let mode = PadMode(rawValue: modeName) else {
        throw context.invalidAttribute("mode", "is \"\(modeName)\"; constant, reflect and edge are supported")
    }
    let x = node.inputs.first ?? ""
    if context.opset < 11 {
        let pads = try context.ints(context.opset < 2 ? "paddings" : "pads")
        context.inputs = [x, context.makeConstant(pads, role: "pads")]
        return .pad(mode: mode, value: try context.float("value", default: 0))
    }
    guard let pads = context.input(1) else { throw context.invalid("has no pads input") }
    if context.input(3) != nil {
        throw context.invalid("pads only some axes (the opset-18 axes input); pad all axes instead")
    }
    let value = try context.scalarInput(2, purpose: "constant_value") ?? 0
    context.inputs = [x, pads]
    return .pad(mode: mode, value: value)
}

/// ConstantOfShape: input shape; `value` is a one-element tensor (default float 0).
@Sendable func importConstantOfShape(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    guard let value = try context.tensor("value") else { return .constantOfShape(value: 0, dtype: .float32) }
    guard value.elementCount == 1 else {
        throw context.invalidAttribute("value", "has \(value.elementCount) elements; exactly 1 is required")
    }
    return .constantOfShape(value: value.scalars[0], dtype: value.dtype)
}

/// Cast: `to` is a `TensorProto.DataType` code.
@Sendable func importCast(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    let code = try context.int("to")
    guard let dtype = ONNXDataType.dtype(Int32(truncatingIfNeeded: code)) else {
        throw context.invalidAttribute("to", "is \(ONNXDataType.name(of: Int32(truncatingIfNeeded: code))), which Graft does not support")
    }
    return .cast(to: dtype)
}
