/// Why an image could not be turned into pixels. Every case names the file
/// (`path` is the file path, or the name given to in-memory bytes).
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read from disk.
    case unreadable(path: String, reason: String)
    /// The file has zero bytes.
    case empty(path: String)
    /// The first bytes are neither a JPEG nor a PNG signature.
    case unknownFormat(path: String, firstBytes: String)
    /// The header claims more pixels than the decoder's limit; nothing was allocated.
    case tooManyPixels(path: String, width: Int, height: Int, limit: Int)
    /// The library refused the data: corrupt, truncated or an unsupported variant.
    case corrupt(path: String, format: ImageFormat, detail: String)

    public var path: String {
        switch self {
        case .unreadable(let path, _), .empty(let path), .unknownFormat(let path, _),
             .tooManyPixels(let path, _, _, _), .corrupt(let path, _, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read image \(path): \(reason); check the path and permissions"
        case .empty(let path):
            return "image \(path) is empty (0 bytes); remove it or replace it with a JPEG or PNG"
        case .unknownFormat(let path, let firstBytes):
            return "image \(path) is not a JPEG or PNG (first bytes \(firstBytes)); convert it to JPEG or PNG or remove it"
        case .tooManyPixels(let path, let width, let height, let limit):
            return "image \(path) is \(width)x\(height), more than the limit of \(limit) pixels; shrink it or raise --max-pixels"
        case .corrupt(let path, let format, let detail):
            return "cannot decode \(format.rawValue.uppercased()) \(path): \(detail); the file is damaged or an unsupported variant, re-save or remove it"
        }
    }
}
