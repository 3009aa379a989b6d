import GraphIR

/// The classification head found at the end of a graph, and where to cut it off.
public struct ClassificationHead: Sendable, Equatable, Codable {
    /// One dense layer of the head.
    public struct Dense: Sendable, Equatable, Codable {
        public var node: String
        public var inputFeatures: Int
        public var outputFeatures: Int
    }

    /// The head's nodes, from the first one after the cut to the graph output.
    public var nodes: [String]
    /// The dense layers in order (Gemm, or MatMul with its bias Add).
    public var dense: [Dense]
    /// "softmax", "sigmoid" or "none" (logits).
    public var activation: String
    /// Units of the last dense layer: the number of classes (1 for a sigmoid binary head).
    public var classes: Int
    /// The value to cut at: the pooled features the head reads.
    public var cutValue: String
    /// The node that produces `cutValue`.
    public var cutNode: String?
    /// The cut value's shape, e.g. `[batch, 1280]`.
    public var featureShape: String
    /// The global pooling before the head, when there is one.
    public var pooling: String?
}
