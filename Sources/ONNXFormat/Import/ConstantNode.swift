import GraphIR
import TensorCore

/// The tensor an ONNX `Constant` node produces. It becomes a `.constant`
/// parameter named after the node's output, not an IR node.
///
/// Accepted attributes: `value` (tensor), `value_float(s)`, `value_int(s)`;
/// string and sparse constants are refused.
func constantValue(of node: ONNXNode, _ context: ImportContext) throws -> Tensor {
    guard node.attributes.count == 1, let (name, attribute) = node.attributes.first else {
        throw context.invalid("has \(node.attributes.count) attributes; exactly one value attribute is required")
    }
    switch (name, attribute) {
    case ("value", .tensor(let t)): return t.tensor
    case ("value_float", .float(let v)): return Tensor(shape: [], scalars: [v])
    case ("value_floats", .floats(let v)): return Tensor(shape: [v.count], scalars: v)
    case ("value_int", .int(let v)): return Tensor(shape: [], int64s: [Int64(v)])
    case ("value_ints", .ints(let v)): return Tensor(shape: [v.count], int64s: v.map(Int64.init))
    default:
        throw context.invalidAttribute(name, "(\(attribute.typeName)) is not a numeric constant Graft supports")
    }
}
