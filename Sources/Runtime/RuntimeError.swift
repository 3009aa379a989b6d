import Foundation
import GraphIR

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
    /// A node whose plan-time (folded) result would have more elements than `FoldLimit` allows.
    case constantTooLarge(node: String, op: String, shape: [Int], limit: Int)
    /// A value (`what`: "input x", "value y"), or all of a plan's buffers (`what == nil`),
    /// larger than `ActivationLimit.maxBytes`.
    case activationsTooLarge(what: String?, shape: [Int], bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case let .missingInput(name): "input \(name) is missing"
        case let .inputShape(name, expected, actual): "input \(name) has shape \(actual), expected \(expected)"
        case let .unsupported(node, op, reason): "node \(node) (\(op)): \(reason)"
        case let .unresolvedShape(value, shape): "value \(value) has shape \(shape), which is not known for this batch size"
        case let .invalidGraph(reason): "cannot plan the graph: \(reason)"
        case let .constantTooLarge(node, op, shape, limit):
            "node \(node) (\(op)) computes a constant of shape \(shape), "
                + (FoldLimit.elementCount(shape, atMost: .max).map { "\($0) elements" } ?? "more elements than fit in memory")
                + ", more than the \(limit) Graft folds for this model (2^26, or its weight bytes / 4 + 2^20); "
                + "the file is corrupt or hostile — nothing was allocated"
        case let .activationsTooLarge(what?, shape, bytes, limit):
            "\(what) of shape \(shape) needs \(gibibytes(bytes)), more than \(ActivationLimit.describe(limit)); "
                + "check the model's input shape, or use a smaller batch — nothing was allocated"
        case let .activationsTooLarge(nil, _, bytes, limit):
            "the plan's activations need \(gibibytes(bytes)), more than \(ActivationLimit.describe(limit)); "
                + "use a smaller batch — nothing was allocated"
        }
    }
}

/// `bytes` in GiB with one decimal, e.g. `111.8 GiB`.
func gibibytes(_ bytes: Int) -> String {
    String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
}
