import GraphIR
import HDF5Support

/// Everything that can stop a graph from becoming a Keras `.h5` file. Each
/// case names the nodes, values or path it is about.
public enum KerasExportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nodes with no exact Keras layer, all of them, found in one pass.
    case unsupportedNodes([UnsupportedNode])
    /// The graph as a whole does not fit a single-input Keras Functional model.
    case unsupportedGraph(reason: String)
    /// Sorting or shape inference failed: the graph itself is inconsistent.
    case invalidGraph(GraphError)
    /// Metadata could not be encoded as JSON.
    case metadata(key: String, reason: String)
    /// libhdf5 refused to create or write the file.
    case hdf5(HDF5Error)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedNodes(nodes):
            "Graft cannot express \(nodes.count) node(s) as Keras layers:\n"
                + nodes.map { "  - \($0.node) (\($0.op)): \($0.reason)" }.joined(separator: "\n")
                + "\nExport to ONNX instead, or remove or replace these nodes with a surgery pass before exporting to Keras."
        case let .unsupportedGraph(reason):
            "the graph cannot be a Keras Functional model: \(reason)"
        case let .invalidGraph(error):
            "the graph is not valid: \(error)"
        case let .metadata(key, reason):
            "cannot store metadata '\(key)': \(reason)"
        case let .hdf5(error):
            "\(error)"
        case let .unwritable(path, reason):
            "cannot write \(path): \(reason)"
        }
    }
}

/// One node the Keras exporter cannot translate, and why.
public struct UnsupportedNode: Equatable, Sendable {
    public var node: String
    /// The op's short name (`Op.name`).
    public var op: String
    public var reason: String

    public init(node: String, op: String, reason: String) {
        self.node = node
        self.op = op
        self.reason = reason
    }
}
