import CHDF5

/// Everything that can go wrong while reading or writing an HDF5 file.
///
/// `.call` is a failed libhdf5 function, with the top (most specific) and the
/// root (innermost) message of HDF5's error stack; the other cases are checks
/// made here before libhdf5 is asked.
public enum HDF5Error: Error, Equatable, Sendable, CustomStringConvertible {
    case call(function: String, object: String, top: String, root: String)
    case notHDF5(path: String, byteCount: Int)
    case cannotRead(path: String, reason: String)
    case missingObject(path: String)
    case wrongKind(path: String, expected: String)
    case missingAttribute(object: String, name: String)
    case attributeNotString(object: String, name: String)
    /// `name0`, `name1`, … chunks of a long attribute must be numbered without gaps.
    case chunkGap(object: String, name: String, indices: [Int])
    case unsupportedDatatype(path: String, description: String)
    case rankTooLarge(path: String, rank: Int, limit: Int)
    case tooLarge(path: String, shape: [Int])
    case storageSize(path: String, expected: Int, actual: Int)
    /// The object declares more bytes than the file could hold (`HDF5SizeLimit`).
    case declaredBeyondFile(path: String, declared: Int, fileSize: Int)

    public var description: String {
        switch self {
        case let .call(function, object, top, root):
            "\(function)(\(object)) failed: \(top) (\(root))"
        case let .notHDF5(path, byteCount):
            "\(path) is not an HDF5 file: no HDF5 signature in its \(byteCount) bytes. Is it an incomplete download or another format?"
        case let .cannotRead(path, reason):
            "cannot read \(path): \(reason)"
        case let .missingObject(path):
            "HDF5 object \(path) does not exist"
        case let .wrongKind(path, expected):
            "HDF5 object \(path) is not a \(expected)"
        case let .missingAttribute(object, name):
            "\(object) has no attribute '\(name)'"
        case let .attributeNotString(object, name):
            "attribute '\(name)' of \(object) does not hold strings"
        case let .chunkGap(object, name, indices):
            "attribute '\(name)' of \(object) is split into chunks \(indices), which are not numbered 0…n without gaps"
        case let .unsupportedDatatype(path, description):
            "dataset \(path) has datatype \(description), which Graft does not read"
        case let .rankTooLarge(path, rank, limit):
            "dataset \(path) has rank \(rank); at most \(limit) is supported"
        case let .tooLarge(path, shape):
            "dataset \(path) with shape \(shape) is larger than Graft will allocate"
        case let .storageSize(path, expected, actual):
            "dataset \(path) should hold \(expected) bytes but the file stores \(actual). Is the file truncated?"
        case let .declaredBeyondFile(path, declared, fileSize):
            "\(path) declares \(declared) bytes, more than its \(fileSize)-byte file can hold; the file is corrupt, nothing was allocated"
        }
    }
}

private final class ErrorFrames { var messages: [String] = [] }

/// Stops libhdf5 from printing its error stack to stderr. The setting is per
/// thread in thread-safe builds, so every wrapper calls it before calling HDF5.
func silenceHDF5() {
    _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
}

/// The current HDF5 error stack as one `HDF5Error.call`.
func currentHDF5Error(_ function: String, _ object: String) -> HDF5Error {
    let frames = ErrorFrames()
    let box = Unmanaged.passRetained(frames)
    defer { box.release() }
    _ = H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, { _, err, context in
        let frames = Unmanaged<ErrorFrames>.fromOpaque(context!).takeUnretainedValue()
        if let d = err?.pointee.desc { frames.messages.append(String(cString: d)) }
        return 0
    }, box.toOpaque())
    _ = H5Eclear2(chdf5_e_default())
    return .call(function: function, object: object,
                 top: frames.messages.first ?? "no message", root: frames.messages.last ?? "no message")
}

/// Runs an HDF5 call that returns an id and throws the error stack when it is negative.
func checkedID(_ function: String, _ object: String, _ body: () -> hid_t) throws(HDF5Error) -> hid_t {
    silenceHDF5()
    let id = body()
    guard id >= 0 else { throw currentHDF5Error(function, object) }
    return id
}

/// Runs an HDF5 call that returns `herr_t`, `htri_t` or a size and throws when it is negative.
@discardableResult
func checked<T: BinaryInteger>(_ function: String, _ object: String, _ body: () -> T) throws(HDF5Error) -> T {
    silenceHDF5()
    let status = body()
    guard status >= 0 else { throw currentHDF5Error(function, object) }
    return status
}
