/// One operation in the graph.
public struct Node: Sendable, Equatable {
    /// Unique within the graph; the name from the file when it had one.
    public var name: String
    public var op: Op
    /// Value names; `""` marks an absent optional input.
    public var inputs: [String]
    public var outputs: [String]
    /// The layer or block this node came from (a Keras layer name, or the
    /// nested model's name path), for tables and block selection; `nil` when the
    /// format has no such notion.
    public var layer: String?

    public init(name: String, op: Op, inputs: [String], outputs: [String], layer: String? = nil) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.layer = layer
    }
}
