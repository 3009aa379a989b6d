import GraphIR

/// Translates one ONNX node into an IR op. It may rewrite `context.inputs`
/// and `context.outputs` (see `ImportContext`) and throws `ONNXImportError`.
typealias ONNXOpImporter = @Sendable (ONNXNode, inout ImportContext) throws -> Op

/// Every ONNX operator of the default domain Graft translates, by `op_type`.
/// `Constant` is not here: it becomes a parameter, not a node (`ConstantNode.swift`).
let onnxOpImporters: [String: ONNXOpImporter] = [
    convolutionImporters,
    activationImporters,
    arithmeticImporters,
    poolingImporters,
    shapeImporters,
    passThroughImporters,
].reduce(into: [:]) { table, family in
    table.merge(family) { first, _ in first }
}
