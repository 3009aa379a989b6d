import GraphIR
import TensorCore

/// The head `GraftHead` attaches.
public struct HeadSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// One sigmoid unit (`softmax == false`) or a 2-way softmax.
        case binary(softmax: Bool)
        /// A softmax over `n` classes (n ≥ 2).
        case classes(Int)
    }

    public var kind: Kind
    /// Units of an extra Dense + ReLU before the last Dense.
    public var hidden: Int?
    /// Dropout ratio in [0, 1) right before the last Dense.
    public var dropout: Float?
    /// Class names in output order; `nil` gives `class_0`, `class_1`, …. A binary
    /// head has two names (negative, positive) whether it ends in one sigmoid
    /// unit or a 2-way softmax.
    public var labels: [String]?
    public var seed: UInt64

    public init(kind: Kind, hidden: Int? = nil, dropout: Float? = nil, labels: [String]? = nil, seed: UInt64 = 0) {
        self.kind = kind
        self.hidden = hidden
        self.dropout = dropout
        self.labels = labels
        self.seed = seed
    }

    /// Units of the last Dense layer.
    public var units: Int {
        switch kind {
        case .binary(let softmax): softmax ? 2 : 1
        case .classes(let n): n
        }
    }

    /// Number of class names: 2 for any binary head.
    public var classCount: Int {
        if case .binary = kind { return 2 }
        return units
    }

    /// Throws for out-of-range options.
    public func validate() throws(SurgeryError) {
        if case .classes(let n) = kind, n < 2 {
            throw .invalidHeadOption("--classes needs at least 2 classes (use --binary for one sigmoid unit), got \(n)")
        }
        if let h = hidden, h < 1 { throw .invalidHeadOption("--hidden needs at least 1 unit, got \(h)") }
        if let p = dropout, !(0..<1).contains(p) { throw .invalidHeadOption("--dropout must be in [0, 1), got \(p)") }
        if let labels, labels.count != classCount { throw .labelCountMismatch(labels: labels.count, classes: classCount) }
    }
}

/// Attaches a new, trainable classification head to a feature extractor.
///
/// The graph must end in features `[N, C]`; a graph that still has a head is
/// cut first (`CutGraph(.head)`), and feature maps `[N, C, H, W]` get global
/// average pooling and a flatten. Then, in order: optional Dense(`hidden`) +
/// ReLU, optional Dropout, Dense(`units`), and sigmoid or softmax. Dense
/// weights are `[out, in]` Glorot-uniform (`GlorotUniform(seed:)`, hidden
/// layer first), biases zero, all trainable; parameters are named `head/…`
/// (made unique if taken). The class names go into `metadata.classNames`;
/// a binary head also gets the threshold 0.5 in `metadata.properties["graft.threshold"]`.
public struct GraftHead: Sendable {
    public var spec: HeadSpec

    public init(_ spec: HeadSpec) {
        self.spec = spec
    }

    /// Attaches the head in place; the graph stays sorted and typed.
    @discardableResult
    public func apply(to graph: inout Graph) throws -> GraftReport {
        try spec.validate()
        var report = GraftReport(cut: nil, pooled: false, output: "", outputShape: "", parameters: [])
        if HeadDetector.detect(in: graph) != nil {
            report.cut = try CutGraph(at: .head).apply(to: &graph)
        }
        guard graph.outputs.count == 1, let output = graph.outputs.first else {
            throw SurgeryError.notFeatures(value: graph.outputs.joined(separator: ", "), shape: "\(graph.outputs.count) outputs")
        }
        let shape = graph.type(of: output)?.shape
        var x = output
        switch shape?.rank {
        case 2: break
        case 4:
            x = add(&graph, "pool", .globalAveragePool, [x])
            x = add(&graph, "flatten", .flatten(axis: 1), [x])
            report.pooled = true
        default:
            throw SurgeryError.notFeatures(value: output, shape: shape?.description ?? "of unknown shape")
        }
        guard let features = shape?.dims[1].value else {
            throw SurgeryError.notFeatures(value: output, shape: shape!.description)
        }

        var generator = GlorotUniform(seed: spec.seed)
        var width = features
        if let hidden = spec.hidden {
            x = dense(&graph, "hidden", x, in: width, out: hidden, &generator, &report)
            x = add(&graph, "hidden_relu", .relu, [x])
            width = hidden
        }
        if let ratio = spec.dropout {
            x = add(&graph, "dropout", .dropout(ratio: ratio), [x])
        }
        x = dense(&graph, "dense", x, in: width, out: spec.units, &generator, &report)
        switch spec.kind {
        case .binary(softmax: false): x = add(&graph, "sigmoid", .sigmoid, [x])
        default: x = add(&graph, "softmax", .softmax(axis: 1), [x])
        }
        graph.outputs = [x]

        graph.metadata.classNames = spec.labels ?? (0..<spec.classCount).map { "class_\($0)" }
        if case .binary = spec.kind {
            graph.metadata.properties[HeadMetadataKeys.threshold] = "0.5"
        } else {
            graph.metadata.properties[HeadMetadataKeys.threshold] = nil
        }
        try graph.sortTopologically()
        try ShapeInference.infer(&graph)
        try GraphVerifier.verify(graph)
        report.output = x
        report.outputShape = graph.type(of: x)?.shape.description ?? "?"
        return report
    }

    /// Appends node `head/<name>` reading `inputs`; returns its output value.
    private func add(_ graph: inout Graph, _ name: String, _ op: Op, _ inputs: [String]) -> String {
        let nodeName = graph.uniqueName("head/\(name)")
        let value = graph.uniqueName("head/\(name)_out")
        graph.nodes.append(Node(name: nodeName, op: op, inputs: inputs, outputs: [value]))
        return value
    }

    private func dense(_ graph: inout Graph, _ name: String, _ x: String, in fanIn: Int, out fanOut: Int,
                       _ generator: inout GlorotUniform, _ report: inout GraftReport) -> String {
        let w = graph.addParameter(generator.denseWeight(fanIn: fanIn, fanOut: fanOut),
                                   named: "head/\(name)/weight", role: .weight, trainable: true)
        let b = graph.addParameter(Tensor(zeros: [fanOut]), named: "head/\(name)/bias", role: .weight, trainable: true)
        report.parameters += [w, b]
        return add(&graph, name, .gemm(GemmAttributes(transB: true)), [x, w, b])
    }
}

/// What `GraftHead` did.
public struct GraftReport: Sendable, Equatable {
    /// The head cut off first, when the graph still had one.
    public var cut: CutReport?
    /// Whether global average pooling + flatten were added before the head.
    public var pooled: Bool
    public var output: String
    public var outputShape: String
    /// Names of the new parameters (all trainable), in creation order.
    public var parameters: [String]
}
