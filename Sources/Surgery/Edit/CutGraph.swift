import GraphIR

/// Cuts a graph after one value: that value becomes the only output, and every
/// node and parameter no longer needed to compute it is removed.
///
/// By default (`.head`) the cut is at `HeadDetector`'s cut value, which keeps
/// the feature extractor whose output is the pooled features `[N, C]`. Class
/// names and the decision threshold describe the removed head, so they are
/// dropped from the metadata; preprocessing stays.
public struct CutGraph: Sendable {
    /// Where to cut.
    public enum Point: Sendable, Equatable {
        /// At the classification head's cut value.
        case head
        /// After a node, value or layer (see `NodeLookup`).
        case after(String)
    }

    public var point: Point

    public init(at point: Point = .head) {
        self.point = point
    }

    /// The value that will become the output, and the head when cutting at it. Pure.
    public func cutValue(in graph: Graph) throws(SurgeryError) -> (value: String, head: ClassificationHead?) {
        switch point {
        case .head:
            guard let head = HeadDetector.detect(in: graph) else { throw .noHeadFound(output: graph.outputs.first ?? "?") }
            return (head.cutValue, head)
        case .after(let name):
            return (try NodeLookup.value(named: name, in: graph), nil)
        }
    }

    /// Whether cutting would change anything: the cut value is not already the only output.
    public func matches(_ graph: Graph) -> Bool {
        guard let (value, _) = try? cutValue(in: graph) else { return false }
        return graph.outputs != [value]
    }

    /// Cuts `graph` in place and reports what went. The graph stays sorted and typed.
    @discardableResult
    public func apply(to graph: inout Graph) throws -> CutReport {
        let (value, head) = try cutValue(in: graph)
        let before = graph
        graph.outputs = [value]
        _ = try RemoveDeadNodes().run(on: &graph)
        graph.metadata.classNames = nil
        graph.metadata.properties[HeadMetadataKeys.threshold] = nil
        try graph.sortTopologically()
        try ShapeInference.infer(&graph)
        try GraphVerifier.verify(graph)

        let kept = Set(graph.nodes.map(\.name))
        let removedParameters = before.parameters.filter { graph.parameters[$0.key] == nil }
        return CutReport(
            removedNodes: before.nodes.map(\.name).filter { !kept.contains($0) },
            removedParameters: removedParameters.values.filter(\.countsAsParameter).reduce(0) { $0 + $1.tensor.elementCount },
            removedTensors: removedParameters.count,
            head: head,
            output: value,
            outputShape: graph.type(of: value)?.shape.description ?? "?")
    }
}

/// What `CutGraph` removed and what the graph ends in now.
public struct CutReport: Sendable, Equatable {
    public var removedNodes: [String]
    /// Elements of removed weights and statistics (structural constants not counted).
    public var removedParameters: Int
    /// Removed parameter tensors of any role.
    public var removedTensors: Int
    /// The head that was cut off, when cutting at the head.
    public var head: ClassificationHead?
    public var output: String
    public var outputShape: String
}

/// `ModelMetadata.properties` keys that describe a classification head.
public enum HeadMetadataKeys {
    /// The decision threshold of a binary head on the positive class' probability, e.g. "0.5".
    public static let threshold = "graft.threshold"
}
