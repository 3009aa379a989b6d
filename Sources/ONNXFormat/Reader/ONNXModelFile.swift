import TensorCore
import GraphIR

/// A decoded, validated `.onnx` file in plain Swift values; no IR types yet.
///
/// Tensors read from `raw_data` borrow the decoded message's memory and
/// tensors from external files borrow the mapped file, so copying this value
/// is cheap and the bytes stay alive as long as any tensor does.
public struct ONNXModelFile: Sendable {
    /// The file name (or the name given to `ONNXReader.read(bytes:name:)`), used in errors.
    public var name: String
    public var irVersion: Int
    public var opsets: [ONNXOpset]
    public var producerName: String
    public var producerVersion: String
    public var domain: String
    public var modelVersion: Int
    public var docString: String
    public var graph: ONNXGraph
    /// `metadata_props` in file order (keys should be distinct, but the file may repeat them).
    public var metadataProps: [ONNXMetadataEntry]

    /// The version of `domain` the model imports; `""` and `"ai.onnx"` are the same domain.
    public func opsetVersion(for domain: String) -> Int? {
        let wanted = ONNXOpset.canonicalDomain(domain)
        return opsets.last { ONNXOpset.canonicalDomain($0.domain) == wanted }?.version
    }
}

/// One `opset_import` entry.
public struct ONNXOpset: Sendable, Equatable {
    public var domain: String
    public var version: Int

    public init(domain: String, version: Int) {
        self.domain = domain
        self.version = version
    }

    /// `"ai.onnx"` is the default domain spelled out; both mean `""`.
    static func canonicalDomain(_ domain: String) -> String {
        domain == "ai.onnx" ? "" : domain
    }
}

/// One `metadata_props` key/value pair.
public struct ONNXMetadataEntry: Sendable, Equatable {
    public var key: String
    public var value: String
}

/// The model's main graph.
public struct ONNXGraph: Sendable {
    public var name: String
    /// In file order, which ONNX requires to be topological.
    public var nodes: [ONNXNode]
    public var initializers: [ONNXTensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]
    public var valueInfo: [ONNXValueInfo]
}

/// One `NodeProto`.
public struct ONNXNode: Sendable {
    /// The node's name in the file; may be empty.
    public var name: String
    public var opType: String
    /// `""` for the default operator set.
    public var domain: String
    /// Value names; `""` marks an absent optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]
}

/// A decoded attribute value.
public enum ONNXAttribute: Sendable {
    case float(Float)
    case int(Int)
    case string(String)
    case tensor(ONNXTensor)
    case floats([Float])
    case ints([Int])
    case strings([String])
    case tensors([ONNXTensor])
    /// A kind Graft does not decode (graphs, sparse tensors, type protos); the ONNX type name.
    case unsupported(String)

    /// The ONNX attribute type name, for error messages.
    public var typeName: String {
        switch self {
        case .float: "FLOAT"
        case .int: "INT"
        case .string: "STRING"
        case .tensor: "TENSOR"
        case .floats: "FLOATS"
        case .ints: "INTS"
        case .strings: "STRINGS"
        case .tensors: "TENSORS"
        case .unsupported(let name): name
        }
    }
}

/// A named tensor (initializer or attribute value) with its data.
public struct ONNXTensor: Sendable {
    public var name: String
    /// The `TensorProto.DataType` code as stored.
    public var dataType: Int32
    public var tensor: Tensor

    public var dtype: DType { tensor.dtype }
    public var dims: [Int] { tensor.shape }

    /// A tensor to add to a model as an initializer; `dataType` follows `tensor.dtype`.
    public init(name: String, tensor: Tensor) {
        self.init(name: name, dataType: ONNXDataType.code(tensor.dtype), tensor: tensor)
    }

    init(name: String, dataType: Int32, tensor: Tensor) {
        self.name = name
        self.dataType = dataType
        self.tensor = tensor
    }
}

/// The declared type of a graph input, output or intermediate value.
public struct ONNXValueInfo: Sendable {
    public var name: String
    /// `nil` when the value is not a tensor or its element type is not one Graft supports.
    public var dtype: DType?
    /// The `elem_type` code as stored (0 when absent).
    public var elementType: Int32
    /// `nil` when the file gives no shape (unknown rank). `dim_param` becomes
    /// `.symbol(name)`; a dimension with neither value nor name becomes a
    /// symbol unique to this value (`"<value>?<axis>"`).
    public var shape: Shape?

    /// The IR type, when both element type and shape are known.
    public var valueType: ValueType? {
        guard let dtype, let shape else { return nil }
        return ValueType(dtype, shape)
    }
}
