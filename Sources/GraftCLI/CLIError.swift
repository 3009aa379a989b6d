/// Errors of the command line itself (arguments, paths), as opposed to a format's errors.
enum CLIError: Error, CustomStringConvertible {
    case fileNotFound(path: String)
    case isADirectory(path: String)
    case unknownModelExtension(path: String)
    case weightsNeedConfig(path: String)

    var description: String {
        switch self {
        case let .fileNotFound(path):
            "\(path): no such file"
        case let .isADirectory(path):
            "\(path) is a folder; give the model file inside it"
        case let .unknownModelExtension(path):
            "\(path): unknown model format; Graft reads .onnx, .h5/.hdf5 (Keras), .keras and .weights.h5 (with --config)"
        case let .weightsNeedConfig(path):
            "\(path) holds only weights; give the model's architecture with --config config.json"
        }
    }
}
