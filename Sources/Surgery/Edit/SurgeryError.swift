import GraphIR

/// Why a surgery command cannot do what was asked. Every case names the node,
/// value, shape or count it is about, so the CLI can print it as one line.
public enum SurgeryError: Error, Equatable, CustomStringConvertible {
    /// `--at` (or `--before`) names nothing in the graph; `suggestions` are the closest names.
    case unknownName(String, suggestions: [String])
    /// No cut point was given and `HeadDetector` finds no head.
    case noHeadFound(output: String)
    /// The cut value is a graph input or a parameter: nothing would remain.
    case cutAtNonNode(String)
    /// A head can only be attached to features `[N, C]` or maps `[N, C, H, W]`.
    case notFeatures(value: String, shape: String)
    /// `--labels` gave a different number of names than the head has classes.
    case labelCountMismatch(labels: Int, classes: Int)
    /// A head option out of range (`--classes 1`, `--dropout 1.5`, `--hidden 0`, …).
    case invalidHeadOption(String)
    /// `--train-last-blocks K` with a K the graph does not have.
    case notEnoughBlocks(requested: Int, available: Int)
    /// A name pattern that selects no weight.
    case patternMatchesNothing(String)

    /// A weight both graphs have, with different shapes.
    case weightShapeMismatch(name: String, model: [Int], source: [Int])
    /// The source file shares no weight name with the model.
    case noWeightsMatched(sourceExamples: [String], modelExamples: [String])

    /// A trailing-subgraph boundary that is a parameter, not an activation.
    case boundaryNotAValue(String)
    /// A node after the boundary reads `value`, computed before it (e.g. a residual skip across it).
    case crossesBoundary(node: String, value: String, boundary: String)

    public var description: String {
        switch self {
        case let .unknownName(name, suggestions):
            let hint = suggestions.isEmpty ? "" : "; closest: " + suggestions.map { "'\($0)'" }.joined(separator: ", ")
            return "no node, value or layer named '\(name)'\(hint)"
        case let .noHeadFound(output):
            return "found no classification head before output '\(output)'; give the node to cut after with --at"
        case let .cutAtNonNode(name):
            return "'\(name)' is a graph input or a parameter, not a node output; cutting there would leave no computation"
        case let .notFeatures(value, shape):
            return "a head needs features [N, C] or feature maps [N, C, H, W], but the output '\(value)' is \(shape)"
        case let .labelCountMismatch(labels, classes):
            return "--labels gave \(labels) names for a head with \(classes) outputs"
        case let .invalidHeadOption(reason):
            return reason
        case let .notEnoughBlocks(requested, available):
            return "asked to train the last \(requested) blocks, but the model has \(available) blocks"
        case let .patternMatchesNothing(pattern):
            return "the pattern '\(pattern)' matches no weight"
        case let .weightShapeMismatch(name, model, source):
            return "weight '\(name)' is \(model) in the model but \(source) in the weights file; nothing was loaded"
        case let .noWeightsMatched(sourceExamples, modelExamples):
            return "no weight name of the weights file (e.g. \(sourceExamples.joined(separator: ", "))) is in the model "
                + "(e.g. \(modelExamples.joined(separator: ", "))); nothing was loaded — were both made from the same architecture?"
        case let .boundaryNotAValue(name):
            return "'\(name)' is a parameter, not an activation; a trailing subgraph starts at a node output or the graph input"
        case let .crossesBoundary(node, value, boundary):
            return "node '\(node)' after the boundary '\(boundary)' reads '\(value)', which is computed before it "
                + "(a skip connection crosses the boundary); pick a block boundary such as the input of a block"
        }
    }
}
