import GraphIR

/// Elementwise activations and Softmax.
let activationImporters: [String: ONNXOpImporter] = [
    "Relu": { _, _ in .relu },
    "Sigmoid": { _, _ in .sigmoid },
    "HardSwish": { _, _ in .hardSwish },
    "HardSigmoid": { _, context in
        .hardSigmoid(alpha: try context.float("alpha", default: 0.2), beta: try context.float("beta", default: 0.5))
    },
    "Clip": importClip,
    "Softmax": importSoftmax,
]

/// Clip: bounds are attributes before opset 11 and optional constant inputs from 11 on.
/// Absent bounds are ±infinity. The IR node keeps only X.
@Sendable func importClip(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    let lower: Float?
    let upper: Float?
    if context.opset < 11 {
        lower = try context.float("min", default: -.infinity)
        upper = try context.float("max", default: .infinity)
    } else {
        lower = try context.scalarInput(1, purpose: "min")
        upper = try context.scalarInput(2, purpose: "max")
    }
    context.inputs = [node.inputs.first ?? ""]
    return .clip(min: lower ?? -.infinity, max: upper ?? .infinity)
}

/// Softmax. From opset 13 it normalises along `axis` (default -1). Before 13
/// it flattened the input to 2-D at `axis` (default 1) — the same thing only
/// when `axis` is the last axis, so anything else is refused.
@Sendable func importSoftmax(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    if context.opset >= 13 {
        return .softmax(axis: try context.int("axis", default: -1))
    }
    let axis = try context.int("axis", default: 1)
    if axis == -1 { return .softmax(axis: -1) }
    guard let x = context.input(0), let rank = context.rank(of: x) else {
        throw context.invalid("uses opset-\(context.opset) Softmax (flatten to 2-D at axis \(axis)) on an input of unknown rank; re-export with opset 13 or later")
    }
    guard axis == rank - 1 else {
        throw context.invalid("uses opset-\(context.opset) Softmax (flatten to 2-D at axis \(axis)) on a rank-\(rank) input, which is not a per-axis softmax; re-export with opset 13 or later")
    }
    return .softmax(axis: -1)
}
