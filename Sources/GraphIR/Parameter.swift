import TensorCore

/// What a named constant tensor is for; decides whether it counts as a
/// parameter and whether it may ever be trained.
public enum ParameterRole: String, Sendable, Equatable, Codable {
    /// A learned weight (kernel, bias, BatchNorm scale and shift).
    case weight
    /// A statistic updated outside gradient descent (BatchNorm moving mean and variance).
    case statistic
    /// Structure, not learning: reshape targets, shape-subgraph constants, ONNX `Constant` nodes.
    case constant
}

/// A named tensor held by the graph, with the flag that freezing sets.
public struct Parameter: Sendable {
    public var tensor: Tensor
    public var role: ParameterRole
    /// Only meaningful for `.weight`; statistics and constants are never trainable.
    public var trainable: Bool

    public init(_ tensor: Tensor, role: ParameterRole = .weight, trainable: Bool? = nil) {
        self.tensor = tensor
        self.role = role
        self.trainable = role == .weight ? (trainable ?? true) : false
    }

    /// Whether this tensor counts in parameter totals (weights and statistics, floating point).
    public var countsAsParameter: Bool {
        role != .constant && tensor.dtype.isFloatingPoint
    }
}
