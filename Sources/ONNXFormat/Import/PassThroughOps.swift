import GraphIR

/// Ops that pass their input through at inference.
let passThroughImporters: [String: ONNXOpImporter] = [
    "Identity": { _, _ in .identity },
    "Dropout": importDropout,
]

/// Dropout: `ratio` is an attribute before opset 12 and an optional constant input from 12 on.
/// The mask output is dropped (refused if something reads it).
@Sendable func importDropout(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    let ratio: Float
    if context.opset < 12 {
        ratio = try context.float("ratio", default: 0.5)
    } else {
        ratio = try context.scalarInput(1, purpose: "ratio") ?? 0.5
    }
    context.inputs = [node.inputs.first ?? ""]
    try context.keepOutputs(1)
    return .dropout(ratio: ratio)
}
