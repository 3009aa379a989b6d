/// Errors from compiling or running a graph. Each case names the node or
/// input it is about and the shapes involved.
public enum RuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The graph has no input with this name, or an input was not given.
    case missingInput(name: String)
    /// An input tensor's shape or element type does not match the graph input.
    case inputShape(name: String, expected: String, actual: [Int])
    /// A node whose op, attributes or operand kinds the runtime cannot execute.
    case unsupported(node: String, op: String, reason: String)
    /// A value whose shape is still symbolic after the batch size is fixed.
    case unresolvedShape(value: String, shape: String)
    /// Shape inference or graph structure failed while planning.
    case invalidGraph(reason: String)

    public var description: String {
        switch self {
        case let .missingInput(name): "input \(name) is missing"
        case let .inputShape(name, expected, actual): "input \(name) has shape \(actual), expected \(expected)"
        case let .unsupported(node, op, reason): "node \(node) (\(op)): \(reason)"
        case let .unresolvedShape(value, shape): "value \(value) has shape \(shape), which is not known for this batch size"
        case let .invalidGraph(reason): "cannot plan the graph: \(reason)"
        }
    }
}
