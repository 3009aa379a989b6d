import GraphIR
import TensorCore

/// Why one node has no Keras layer; collected into `KerasExportError.unsupportedNodes`.
struct Refusal: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Translates a sorted, shape-inferred graph into Keras layers.
///
/// Only nodes the outputs depend on through *data* inputs are translated:
/// pads, reshape targets and other integer inputs are read as constants
/// (parameters, or values `ShapeInference.knownValues` works out), so the
/// shape subgraphs that compute them (`Shape → Gather → Concat → …`) vanish.
/// Each rule in `KerasLowering+Layers.swift` turns one node — or a node and
/// the consumers it fuses with (an activation of the same Keras layer, a
/// pooling's flatten, Rescaling's mul + add, `to_nhwc` + Flatten) — into
/// layers. Nodes no rule accepts are gathered into one error.
struct KerasLowering {
    let graph: Graph
    let known: [String: KnownValue]
    var layers: [KerasLayerSpec] = []
    var values: [String: ExportedValue] = [:]
    var absorbed: Set<Int> = []
    private var unsupported: [UnsupportedNode] = []
    private var usedNames = UniqueNames()
    private let consumerIndex: [String: [Int]]

    init(graph: Graph, known: [String: KnownValue]) {
        self.graph = graph
        self.known = known
        var consumers: [String: [Int]] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for input in Set(node.inputs) where !input.isEmpty { consumers[input, default: []].append(i) }
        }
        consumerIndex = consumers
    }

    /// The layers (in graph order) and the Keras tensors of the graph outputs.
    static func lower(_ graph: Graph, known: [String: KnownValue]) throws(KerasExportError) -> ([KerasLayerSpec], [ExportedTensor]) {
        var lowering = KerasLowering(graph: graph, known: known)
        try lowering.lowerInput()
        let live = lowering.liveNodes()
        for i in graph.nodes.indices where live.contains(i) && !lowering.absorbed.contains(i) {
            let node = graph.nodes[i]
            guard lowering.dataInputs(of: node).allSatisfy({ lowering.values[$0] != nil }) else { continue }
            do { try lowering.lower(i) } catch {
                lowering.unsupported.append(UnsupportedNode(node: node.name, op: node.op.name, reason: error.reason))
            }
        }
        guard lowering.unsupported.isEmpty else { throw .unsupportedNodes(lowering.unsupported) }
        var outputs: [ExportedTensor] = []
        for output in graph.outputs {
            switch lowering.values[output] {
            case .tensor(let t), .nhwc(let t):
                guard t.layer != lowering.layers[0].name else {
                    throw .unsupportedGraph(reason: "output '\(output)' is the input itself")
                }
                outputs.append(t)
            case nil:
                throw .unsupportedGraph(reason: "output '\(output)' is not computed from the input by any layer")
            }
        }
        return (lowering.layers, outputs)
    }

    // MARK: - Input

    /// The single graph input as an `InputLayer`: `[N, C, H, W]` → `batch_shape [null, H, W, C]`.
    private mutating func lowerInput() throws(KerasExportError) {
        let used = graph.inputs.filter { consumerIndex[$0.name] != nil || graph.outputs.contains($0.name) }
        guard used.count == 1, let input = used.first else {
            throw .unsupportedGraph(reason: "Keras export needs exactly one graph input, this graph uses \(used.count)")
        }
        guard input.type.dtype == .float32 else {
            throw .unsupportedGraph(reason: "input '\(input.name)' is \(input.type.dtype); only float32 inputs are exported")
        }
        let shape = WeightLayout.kerasShape(irShape: input.type.shape)
        guard shape.count >= 2, !shape.dropFirst().contains(nil) else {
            throw .unsupportedGraph(reason: "input '\(input.name)' \(input.type.shape) needs known sizes after the batch")
        }
        let name = uniqueName(sanitized(input.name))
        let spec = KerasLayerSpec(className: "InputLayer", name: name,
                                  config: ["batch_shape": .array(shape.map { $0.map { .number(Double($0)) } ?? .null }),
                                           "sparse": .bool(false)],
                                  inputs: [], outputShape: shape)
        layers.append(spec)
        values[input.name] = .tensor(ExportedTensor(layer: name, shape: shape))
    }

    // MARK: - Which nodes matter

    /// Inputs that carry activations (everything but weights and known integers).
    func dataInputs(of node: Node) -> [String] {
        switch node.op {
        case .add, .sub, .mul, .div, .concat, .matMul:
            return node.inputs.filter { !$0.isEmpty && !isConstant($0) }
        case .gemm:
            return [node.inputs[0]] + (node.inputs.count > 1 && !isConstant(node.inputs[1]) ? [node.inputs[1]] : [])
        default:
            return node.inputs.first.map { [$0] } ?? []
        }
    }

    /// Node indices the graph outputs depend on through data inputs.
    func liveNodes() -> Set<Int> {
        var producer: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for o in node.outputs { producer[o] = i } }
        var live: Set<Int> = []
        var pending = graph.outputs
        while let value = pending.popLast() {
            guard let i = producer[value], live.insert(i).inserted else { continue }
            pending += dataInputs(of: graph.nodes[i])
        }
        return live
    }

    func isConstant(_ value: String) -> Bool {
        graph.parameters[value] != nil || known[value]?.ints != nil
    }

    // MARK: - Helpers for the rules

    func consumers(of value: String) -> [Int] { consumerIndex[value] ?? [] }

    /// The one node reading `value`, when `value` is not also a graph output.
    func soleConsumer(of value: String) -> Int? {
        let readers = consumers(of: value)
        guard readers.count == 1, !graph.outputs.contains(value) else { return nil }
        return readers[0]
    }

    func shape(of value: String) -> Shape { graph.type(of: value)?.shape ?? Shape([]) }

    /// The Keras tensor standing for `value` in the standard layout.
    func tensor(_ value: String) throws(Refusal) -> ExportedTensor {
        switch values[value] {
        case .tensor(let t): return t
        case .nhwc: throw Refusal("reads a value transposed to NHWC, which has no Keras counterpart (only Flatten and Reshape may follow such a transpose)")
        case nil: throw Refusal("reads '\(value)', which is not computed by an exported layer")
        }
    }

    func parameter(_ value: String, _ role: String) throws(Refusal) -> Parameter {
        guard let p = graph.parameters[value] else { throw Refusal("its \(role) '\(value)' is computed, not a stored tensor") }
        return p
    }

    /// Integers of a constant input: a parameter or a value shape inference knows.
    func constantInts(_ value: String) -> [Int]? {
        if let p = graph.parameters[value], !p.tensor.dtype.isFloatingPoint { return p.tensor.int64s.map { Int($0) } }
        return known[value]?.ints
    }

    /// A Keras layer name for `node`: the last component of its Keras layer
    /// path, or its own name, with `/` (which Keras forbids) replaced; unique.
    mutating func layerName(for node: Node, suffix: String = "") -> String {
        let base = node.layer.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? node.name
        return uniqueName(sanitized(base) + suffix)
    }

    private mutating func uniqueName(_ base: String) -> String {
        usedNames.claim(base)
    }

    private func sanitized(_ name: String) -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: true)
        return parts.isEmpty ? "layer" : parts.joined(separator: "_")
    }

    /// Adds `spec` and makes `output` its result (in the standard layout unless `nhwc`).
    mutating func emit(_ spec: KerasLayerSpec, output: String, nhwc: Bool = false) {
        layers.append(spec)
        let t = ExportedTensor(layer: spec.name, shape: spec.outputShape)
        values[output] = nhwc ? .nhwc(t) : .tensor(t)
    }

    /// Keras' `trainable` for a layer owning `weights` (IR parameter names):
    /// true when all its learned weights are trainable, false when none is.
    func trainable(_ weights: [String]) throws(Refusal) -> Bool {
        let learned = weights.compactMap { graph.parameters[$0] }.filter { $0.role == .weight }
        let trainable = learned.filter(\.trainable).count
        guard trainable == 0 || trainable == learned.count else {
            throw Refusal("some of its weights are frozen and some are not; Keras freezes whole layers")
        }
        return learned.isEmpty || trainable > 0
    }
}
