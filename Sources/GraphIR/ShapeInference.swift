import TensorCore

/// Infers the type of every value in a graph, node by node in order, and
/// tracks the elements of small integer tensors so that shapes computed inside
/// the graph (pads, reshape targets) resolve to numbers.
public enum ShapeInference {
    /// Fills `graph.valueTypes` for every node output. Throws when a node's
    /// inputs are inconsistent (channel counts, broadcasting, ranks).
    public static func infer(_ graph: inout Graph) throws(GraphError) {
        try checkInputs(graph)
        var state = InferenceState(graph: graph)
        for node in graph.nodes {
            try state.visit(node)
        }
        graph.valueTypes = state.types
    }

    /// Like `infer`, and also returns the integer values it could work out.
    public static func knownValues(_ graph: Graph) throws(GraphError) -> [String: KnownValue] {
        try checkInputs(graph)
        var state = InferenceState(graph: graph)
        for node in graph.nodes {
            try state.visit(node)
        }
        return state.values
    }

    /// Declared input shapes pass the same check as inferred ones (`checkAllocatable`).
    private static func checkInputs(_ graph: Graph) throws(GraphError) {
        for input in graph.inputs {
            do { _ = try checkedElementCount(input.type.shape.dims.compactMap(\.value)) } catch {
                throw .invalidInputShape(input: input.name, shape: input.type.shape.description, reason: "\(error)")
            }
        }
    }
}

/// The running state of one inference pass.
struct InferenceState {
    var types: [String: ValueType] = [:]
    var values: [String: KnownValue] = [:]
    private var freshSymbols = 0

    init(graph: Graph) {
        for input in graph.inputs { types[input.name] = input.type }
        for (name, p) in graph.parameters {
            types[name] = ValueType(p.tensor.dtype, Shape(known: p.tensor.shape))
            if !p.tensor.dtype.isFloatingPoint || p.role == .constant,
               p.tensor.elementCount <= KnownValue.maxTrackedElements {
                values[name] = KnownValue(p.tensor)
            }
        }
    }

    /// A new symbol for a size that cannot be worked out before run time.
    mutating func unknownDim() -> Dim {
        freshSymbols += 1
        return .symbol("?\(freshSymbols)")
    }

    mutating func visit(_ node: Node) throws(GraphError) {
        var inputs: [ValueType?] = []
        for name in node.inputs {
            if name.isEmpty { inputs.append(nil); continue }
            guard let t = types[name] else { throw .undefinedValue(node: node.name, value: name) }
            inputs.append(t)
        }
        let context = NodeContext(node: node, inputs: inputs, values: node.inputs.map { $0.isEmpty ? nil : values[$0] })
        let (outTypes, outValue) = try outputs(of: context)
        for type in outTypes { try checkAllocatable(type.shape, context) }
        for (name, type) in zip(node.outputs, outTypes) where !name.isEmpty {
            types[name] = type
        }
        if let v = outValue, let first = node.outputs.first { values[first] = v }
    }
}

extension InferenceState {
    /// Known sizes are trusted later to size buffers and folded constants: every
    /// dimension must be non-negative and their product at most 2^40 elements, as
    /// the ONNX reader checks declared shapes (`checkedElementCount`). A shape
    /// computed from constants (`ConstantOfShape`, `Reshape`, `Pad`) can say anything.
    func checkAllocatable(_ shape: Shape, _ c: NodeContext) throws(GraphError) {
        do { _ = try checkedElementCount(shape.dims.compactMap(\.value)) } catch {
            switch error {
            case .negativeDimension: throw c.fail("its output shape \(shape) has a negative dimension")
            default: throw c.fail("its output shape \(shape) has more than 2^40 elements, more than any buffer can hold")
            }
        }
    }
}

/// What one node's inference sees.
struct NodeContext {
    let node: Node
    let inputs: [ValueType?]
    let values: [KnownValue?]

    func fail(_ reason: String) -> GraphError {
        .shapeMismatch(node: node.name, op: node.op.name, reason: reason)
    }

    func input(_ i: Int) throws(GraphError) -> ValueType {
        guard i < inputs.count, let t = inputs[i] else { throw fail("input \(i) is missing") }
        return t
    }

    func value(_ i: Int) -> KnownValue? { i < values.count ? values[i] : nil }

    /// Input `i` as known integers, or `nil` when absent or not known before run time.
    func ints(_ i: Int) -> [Int]? { value(i)?.ints }

    func normalized(axis: Int, rank: Int) throws(GraphError) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else { throw fail("axis \(axis) is out of range for rank \(rank)") }
        return a
    }
}
