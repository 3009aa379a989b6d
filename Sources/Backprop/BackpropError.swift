/// Why a trainable graph cannot be built or run: the node and op it is about,
/// the reason, and what to do.
public struct BackpropError: Error, CustomStringConvertible, Equatable {
    public var node: String?
    public var op: String?
    public var reason: String
    public var hint: String

    public init(node: String? = nil, op: String? = nil, _ reason: String, hint: String = "") {
        self.node = node
        self.op = op
        self.reason = reason
        self.hint = hint
    }

    public var description: String {
        var s = ""
        if let node { s += "node '\(node)'" + (op.map { " (\($0))" } ?? "") + ": " }
        s += reason
        if !hint.isEmpty { s += "; " + hint }
        return s
    }
}
