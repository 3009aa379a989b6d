import TensorCore

/// The type of a value: element type and (possibly symbolic) shape.
public struct ValueType: Sendable, Hashable, CustomStringConvertible {
    public var dtype: DType
    public var shape: Shape

    public init(_ dtype: DType, _ shape: Shape) {
        self.dtype = dtype
        self.shape = shape
    }

    public var description: String { "\(dtype)\(shape)" }
}

/// A graph input fed at run time.
public struct GraphInput: Sendable, Equatable {
    public var name: String
    public var type: ValueType

    public init(name: String, type: ValueType) {
        self.name = name
        self.type = type
    }
}

/// A format-free dataflow graph: nodes in topological order over named values.
///
/// Every value is produced by exactly one of: a graph input, a parameter, or a
/// node output. Activations are NCHW; convolution weights OIHW; Dense weights
/// `[out, in]`.
public struct Graph: Sendable {
    public var name: String
    public var inputs: [GraphInput]
    public var outputs: [String]
    public var nodes: [Node]
    public var parameters: [String: Parameter]
    /// Types of values as inferred (`ShapeInference.infer`) or stated by the file.
    public var valueTypes: [String: ValueType]
    public var metadata: ModelMetadata

    public init(name: String, inputs: [GraphInput] = [], outputs: [String] = [], nodes: [Node] = [],
                parameters: [String: Parameter] = [:], valueTypes: [String: ValueType] = [:],
                metadata: ModelMetadata = ModelMetadata(sourceFormat: "memory")) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.parameters = parameters
        self.valueTypes = valueTypes
        self.metadata = metadata
    }

    /// The index of the node that produces `value`, or `nil` for inputs and parameters.
    public func producer(of value: String) -> Int? {
        nodes.firstIndex { $0.outputs.contains(value) }
    }

    /// Indices of the nodes that read `value`, in graph order.
    public func consumers(of value: String) -> [Int] {
        nodes.indices.filter { nodes[$0].inputs.contains(value) }
    }

    /// The parameter tensor behind `value`, if it is one.
    public func constant(_ value: String) -> Tensor? {
        parameters[value]?.tensor
    }

    /// The type of `value`: stated, inferred, or taken from a parameter.
    public func type(of value: String) -> ValueType? {
        if let t = valueTypes[value] { return t }
        if let p = parameters[value] { return ValueType(p.tensor.dtype, Shape(known: p.tensor.shape)) }
        return inputs.first { $0.name == value }?.type
    }
}
