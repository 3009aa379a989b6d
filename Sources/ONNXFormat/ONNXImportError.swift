import TensorCore

/// Everything that can go wrong between an `.onnx` file on disk and a `Graph`.
///
/// Every case names the file (`file` is the file name, or the name given to
/// `ONNXReader.read(bytes:name:)`) and the tensor, node or value it is about.
/// `description` is one line: what is wrong, where, and what to do.
public enum ONNXImportError: Error, Sendable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case unreadable(file: String, reason: String)
    /// The bytes are not a usable ONNX model (protobuf decoding failed, or a required field is missing).
    case notAModel(file: String, byteCount: Int, reason: String)
    /// A standalone `TensorProto` file (`ONNXReader.readTensor`) that does not decode.
    case notATensor(file: String, byteCount: Int, reason: String)
    /// The model imports a version of the default operator set outside what Graft supports.
    case unsupportedOpset(file: String, domain: String, version: Int, supported: ClosedRange<Int>)
    /// A tensor's element type has no counterpart in Graft.
    case unsupportedDataType(file: String, tensor: String, dataType: Int32)
    /// A tensor or value has a negative dimension or more elements than fit in memory.
    case invalidShape(file: String, value: String, dims: [Int], reason: String)
    /// A tensor's bytes do not match the size its shape and element type declare.
    case tensorSizeMismatch(file: String, tensor: String, dims: [Int], dtype: DType, expectedBytes: Int, actualBytes: Int)
    /// A tensor uses a storage feature Graft does not read (segments, strings).
    case unsupportedTensorStorage(file: String, tensor: String, reason: String)
    /// External data that is missing, unreadable or not where the tensor says.
    case externalDataMissing(file: String, tensor: String, location: String, reason: String)
    /// External data whose location points outside the model's folder.
    case externalDataOutsideFolder(file: String, tensor: String, location: String)
    /// External data whose offset and length go past the end of its file.
    case externalDataOutOfRange(file: String, tensor: String, location: String, offset: Int, length: Int, fileSize: Int)
    /// Malformed external data entries (missing location, bad offset or length).
    case externalDataInvalid(file: String, tensor: String, reason: String)
    /// Nodes whose operator Graft cannot translate, all of them at once.
    case unsupportedOps(file: String, ops: [UnsupportedONNXOp])
    /// An attribute is missing, has the wrong type, or a value Graft does not support.
    case invalidAttribute(file: String, node: String, opType: String, attribute: String, reason: String)
    /// An input that must be known at import time (Clip bounds, axes, …) is computed at run time.
    case nonConstantInput(file: String, node: String, opType: String, input: String, purpose: String)
    /// A node that is malformed or uses a variant of its op Graft does not support.
    case invalidNode(file: String, node: String, opType: String, reason: String)
    /// A graph input or output without a usable tensor type.
    case invalidValueInfo(file: String, value: String, reason: String)
    /// The nodes do not form a graph: an input nobody produces, or a cycle.
    case invalidGraph(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read \(file): \(reason) — check the path and permissions"
        case let .notAModel(file, byteCount, reason):
            return "\(file) is not an ONNX model (\(reason); \(byteCount) bytes) — is the file complete, and is it really .onnx?"
        case let .notATensor(file, byteCount, reason):
            return "\(file) is not a serialized ONNX TensorProto (\(reason); \(byteCount) bytes)"
        case let .unsupportedOpset(file, domain, version, supported):
            return "\(file) uses opset \(version) of domain \"\(domain)\"; Graft supports \(supported.lowerBound)…\(supported.upperBound) — convert it with onnx.version_converter"
        case let .unsupportedDataType(file, tensor, dataType):
            return "\(file): tensor \"\(tensor)\" has ONNX data type \(ONNXDataType.name(of: dataType)), which Graft does not support — convert it to float32 or int64 before import"
        case let .invalidShape(file, value, dims, reason):
            return "\(file): \"\(value)\" has invalid shape \(dims) (\(reason)) — the file is corrupt"
        case let .tensorSizeMismatch(file, tensor, dims, dtype, expected, actual):
            return "\(file): tensor \"\(tensor)\" (\(dtype) \(dims)) needs \(expected) bytes but has \(actual) — the file is corrupt or truncated"
        case let .unsupportedTensorStorage(file, tensor, reason):
            return "\(file): tensor \"\(tensor)\" \(reason), which Graft does not read — re-save the model with onnx.save"
        case let .externalDataMissing(file, tensor, location, reason):
            return "\(file): external data \"\(location)\" of tensor \"\(tensor)\" cannot be read (\(reason)) — keep the data file next to the model"
        case let .externalDataOutsideFolder(file, tensor, location):
            return "\(file): tensor \"\(tensor)\" points to external data \"\(location)\" outside the model's folder — refused; move the data file next to the model"
        case let .externalDataOutOfRange(file, tensor, location, offset, length, fileSize):
            return "\(file): tensor \"\(tensor)\" reads bytes \(offset)..<\(offset + length) of \"\(location)\", which has only \(fileSize) bytes — the data file is truncated or belongs to another model"
        case let .externalDataInvalid(file, tensor, reason):
            return "\(file): external data of tensor \"\(tensor)\" is malformed (\(reason)) — the file is corrupt"
        case let .unsupportedOps(file, ops):
            let list = ops.map(\.description).joined(separator: ", ")
            return "\(file) uses \(ops.count) node(s) Graft cannot import: \(list) — cut the graph before them or ask for the ops to be added"
        case let .invalidAttribute(file, node, opType, attribute, reason):
            return "\(file): \(opType) node \"\(node)\" attribute \"\(attribute)\" \(reason)"
        case let .nonConstantInput(file, node, opType, input, purpose):
            return "\(file): \(opType) node \"\(node)\" needs its \(purpose) input \"\(input)\" to be a constant, but it is computed at run time — fold constants first (e.g. onnxsim)"
        case let .invalidNode(file, node, opType, reason):
            return "\(file): \(opType) node \"\(node)\" \(reason)"
        case let .invalidValueInfo(file, value, reason):
            return "\(file): graph value \"\(value)\" \(reason)"
        case let .invalidGraph(file, reason):
            return "\(file): the nodes do not form a valid graph (\(reason)) — the file is corrupt"
        }
    }
}

/// One node the importer has no translation for.
public struct UnsupportedONNXOp: Sendable, Equatable, CustomStringConvertible {
    public var opType: String
    public var domain: String
    public var node: String
    /// The opset version the node binds to (0 when its domain is not imported by the model).
    public var opset: Int

    public init(opType: String, domain: String, node: String, opset: Int) {
        self.opType = opType
        self.domain = domain
        self.node = node
        self.opset = opset
    }

    /// `LSTM "lstm_1" (opset 17)`; custom domains are prefixed (`com.microsoft.FusedConv`).
    public var description: String {
        let qualified = domain.isEmpty || domain == "ai.onnx" ? opType : "\(domain).\(opType)"
        return "\(qualified) \"\(node)\" (opset \(opset))"
    }
}
