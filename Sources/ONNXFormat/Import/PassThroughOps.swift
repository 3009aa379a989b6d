import GraphIR

/// Ops that pass their input through at inference.
let passThroughImporters: [String: ONNXOpImporter] = [
    "Identity": { _, _ in .identity },
    "Dropout": importDropout,
]

/// Dropout: `ratio` is an attribute before opset 12 and an optional constant input from 12 on,
/// as is `training_mode`, which must be false (or the ratio 0).
/// The mask output is dropped (refused if something reads it).
@Sendable func importDropout(_ node: ONNXNode, _ context: inout ImportContext) throws -> Op {
    let ratio: Float
    if context.opset < 12 {
        ratio = try context.float("ratio", default: 0.5)
    } else {
        ratio = try context.scalarInput(1, purpose: "ratio") ?? 0.5
        // training_mode = true drops values at random; only ratio 0 leaves the input unchanged.
        if let training = try context.constantInput(2, purpose: "training_mode"),
           training.int64s.contains(where: { $0 != 0 }), ratio != 0 {
            throw context.invalid("runs in training mode (training_mode is true, ratio \(ratio)), which drops values at random; only inference-mode Dropout is supported")
        }
    }
    context.inputs = [node.inputs.first ?? ""]
    try context.keepOutputs(1)
    return .dropout(ratio: ratio)
}
