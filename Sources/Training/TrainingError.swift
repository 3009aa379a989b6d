import Foundation

/// Errors of the training workflow; each names the folder, file or option it is about.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAFolder(path: String)
    case tooFewClasses(path: String, found: [String])
    case emptyClass(name: String, path: String)
    case unknownValidationClass(name: String, path: String)
    case unreadableImage(path: String, reason: String)
    case tooFewImages(reason: String)
    case featureShape(value: String, shape: String)
    case cache(path: String, reason: String)
    /// A feature cache file that exists but cannot be used: a cache miss, reported as a warning.
    case cacheUnusable(path: String, reason: String)
    case checkpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notAFolder(path):
            "\(path): no such folder; give an image folder with one subfolder per class"
        case let .tooFewClasses(path, found):
            "\(path) has \(found.count) class folder\(found.count == 1 ? "" : "s")"
                + (found.isEmpty ? "" : " (\(found.joined(separator: ", ")))")
                + "; training needs at least two, one subfolder of JPEG/PNG images per class"
        case let .emptyClass(name, path):
            "class '\(name)' has no JPEG or PNG images (\(path)); add images or remove the folder"
        case let .unknownValidationClass(name, path):
            "\(path): validation class '\(name)' has no folder under train/"
        case let .unreadableImage(path, reason):
            "\(path): cannot read the image (\(reason)); without --strict such images are skipped"
        case let .tooFewImages(reason):
            reason
        case let .featureShape(value, shape):
            "the backbone's output \(value) is \(shape), not features [N, C]"
        case let .cache(path, reason):
            "feature cache \(path): \(reason)"
        case let .cacheUnusable(path, reason):
            "the feature cache \(path) cannot be used (\(reason)); it will be rebuilt"
        case let .checkpoint(path, reason):
            "cannot resume from \(path): \(reason)"
        }
    }
}
