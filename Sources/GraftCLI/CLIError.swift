/// Errors of the command line itself (arguments, paths), as opposed to a format's errors.
enum CLIError: Error, CustomStringConvertible {
    case fileNotFound(path: String)
    case isADirectory(path: String)
    case unknownModelExtension(path: String)
    case weightsNeedConfig(path: String)
    case notAnImageModel(reason: String)
    case noPreprocessing
    case unknownOutputExtension(path: String)
    case verificationFailed(String)
    case writtenModelDiffers(path: String, summary: String, divergence: String?)
    case writtenModelUnreadable(path: String, reason: String)
    case invalidOption(String)
    /// libhdf5 crashed or hung while a child process read the file (`IsolatedHDF5Read`).
    case readerCrashed(path: String, how: String)
    /// The model's graph is not consistent, or cannot run on this machine (its shapes, its input's size).
    case invalidModel(path: String, reason: String)

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
        case let .notAnImageModel(reason):
            "this model does not take images: \(reason)"
        case .noPreprocessing:
            "the model file does not say how to preprocess images and it is not in Graft's catalog; "
                + "give --preprocess (a preset such as efficientnet-lite, or size=224,mean=127,std=128,order=rgb)"
        case let .unknownOutputExtension(path):
            "\(path): unknown output format; Graft writes .onnx (and .h5 for Keras)"
        case let .verificationFailed(summary):
            "the converted model does not compute what the original does (\(summary)); nothing was written — please report this model"
        case let .writtenModelDiffers(path, summary, divergence):
            "the model written for \(path) does not compute what the model in memory does (\(summary)"
                + (divergence.map { "; \($0)" } ?? "") + "); nothing was written — please report this model"
        case let .writtenModelUnreadable(path, reason):
            "the model written for \(path) cannot be read back (\(reason)); nothing was written"
        case let .invalidOption(reason):
            reason
        case let .invalidModel(path, reason):
            "\(path): \(reason)"
        case let .readerCrashed(path, how):
            "reading \(path) with libhdf5 \(how); the file is corrupt — re-save it from Keras, or use a copy that loads there"
        }
    }
}
