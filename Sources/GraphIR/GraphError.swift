/// Errors found while checking a graph's structure or inferring its shapes.
public enum GraphError: Error, Equatable, Sendable, CustomStringConvertible {
    case undefinedValue(node: String, value: String)
    case valueDefinedTwice(value: String, node: String)
    case undefinedOutput(value: String)
    /// The nodes left over when no order puts every producer before its consumers.
    case cycle(nodes: [String])
    case shapeMismatch(node: String, op: String, reason: String)
    case badAttribute(node: String, op: String, reason: String)
    /// A graph input whose declared shape has a negative dimension or more than 2^40 elements.
    case invalidInputShape(input: String, shape: String, reason: String)

    public var description: String {
        switch self {
        case let .undefinedValue(node, value):
            "node '\(node)' reads '\(value)', which no input, parameter or earlier node defines"
        case let .valueDefinedTwice(value, node):
            "value '\(value)' is defined twice (again by node '\(node)')"
        case let .undefinedOutput(value):
            "graph output '\(value)' is not defined by any node, input or parameter"
        case let .cycle(nodes):
            "the graph has a cycle through \(nodes.prefix(5).map { "'\($0)'" }.joined(separator: ", "))"
                + (nodes.count > 5 ? " and \(nodes.count - 5) more" : "")
        case let .shapeMismatch(node, op, reason):
            "node '\(node)' (\(op)): \(reason)"
        case let .badAttribute(node, op, reason):
            "node '\(node)' (\(op)): \(reason)"
        case let .invalidInputShape(input, shape, reason):
            "graph input '\(input)' declares shape \(shape), which cannot be allocated (\(reason))"
        }
    }
}
