import GraphIR

/// Errors raised while writing a graph as ONNX.
public enum ONNXExportError: Error, Equatable, CustomStringConvertible {
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason):
            "cannot write \(path): \(reason)"
        }
    }
}
