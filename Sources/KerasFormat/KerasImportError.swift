import Foundation
import HDF5Support

/// Everything that can go wrong while reading a Keras file or translating it
/// into the IR. Each case names the file, layer or weight it is about.
public enum KerasImportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The HDF5 layer failed (not HDF5, truncated, missing group or attribute …).
    case hdf5(HDF5Error)
    case notAKerasFile(path: String, reason: String)
    /// A `.weights.h5` file holds no architecture; pass its config JSON.
    case missingConfig(path: String)
    /// The model config is not JSON, or not shaped like a Keras model config.
    case badConfig(source: String, reason: String)
    case zip(path: String, reason: String)
    case zipEntryMissing(path: String, entry: String)
    case zipEntryTooLarge(path: String, entry: String, size: Int, limit: Int)
    /// An entry name that is absolute or climbs out with `..` (`ArchiveEntryCheck`).
    case zipEntryOutsideArchive(path: String, entry: String)
    /// An entry Graft reads that is a symlink or folder, not a file.
    case zipEntryNotAFile(path: String, entry: String, kind: String)
    /// An entry whose declared size is far beyond what its compressed bytes can hold.
    case zipBomb(path: String, entry: String, compressed: Int, uncompressed: Int)
    /// Weights in a layer's group that no layer of a nested model claims.
    case unassignedWeights(layer: String, names: [String])
    case weightCount(layer: String, expected: [String], found: [String])
    case weightShape(layer: String, weight: String, expected: [Int], found: [Int])
    /// Every layer whose class (or activation) Graft cannot translate, found in one pass.
    case unsupportedLayers([UnsupportedLayer])
    case badLayerConfig(layer: String, className: String, key: String, reason: String)
    /// An inbound node names a layer output that does not exist (yet).
    case unknownInbound(layer: String, source: String)
    case unsupportedShape(layer: String, className: String, shape: String, reason: String)
    /// Any other case, about the model file at `path`: added where a file is read
    /// (`naming(file:)`), so that every message names the file it is about.
    indirect case inFile(path: String, KerasImportError)

    public var description: String {
        switch self {
        case let .inFile(path, .hdf5(.call(function, object, top, root))):
            "\(path): \(HDF5Error.call(function: function, object: object, top: top, root: root)) — the file is corrupt; re-save it from Keras, or use a copy that loads there"
        case let .inFile(path, error):
            "\(path): \(error)"
        case let .hdf5(error):
            "\(error)"
        case let .notAKerasFile(path, reason):
            "\(path) is not a Keras model file: \(reason)"
        case let .missingConfig(path):
            "\(path) holds only weights; pass the model's config JSON (model.to_json()) as well"
        case let .badConfig(source, reason):
            "the model config in \(source) is not usable: \(reason)"
        case let .zip(path, reason):
            "cannot read the Keras archive \(path): \(reason)"
        case let .zipEntryMissing(path, entry):
            "the Keras archive \(path) has no '\(entry)' entry"
        case let .zipEntryTooLarge(path, entry, size, limit):
            "entry '\(entry)' of \(path) claims \(size) bytes, more than the limit of \(limit)"
        case let .zipEntryOutsideArchive(path, entry):
            "the Keras archive \(path) has an entry named '\(entry)', which points outside the archive; refused — re-save the model with Keras"
        case let .zipEntryNotAFile(path, entry, kind):
            "entry '\(entry)' of the Keras archive \(path) is a \(kind), not a file; refused — re-save the model with Keras"
        case let .zipBomb(path, entry, compressed, uncompressed):
            "entry '\(entry)' of \(path) claims \(uncompressed) bytes from \(compressed) compressed (more than \(ArchiveEntryCheck.maxExpansion):1); refused as a zip bomb"
        case let .unassignedWeights(layer, names):
            "layer '\(layer)' stores weights that none of its inner layers owns: \(names.joined(separator: ", "))"
        case let .weightCount(layer, expected, found):
            "layer '\(layer)' should have weights [\(expected.joined(separator: ", "))] but the file has [\(found.joined(separator: ", "))]"
        case let .weightShape(layer, weight, expected, found):
            "weight '\(weight)' of layer '\(layer)' should have shape \(expected), the file has \(found)"
        case let .unsupportedLayers(layers):
            "Graft cannot rebuild \(layers.count) layer(s):\n"
                + layers.map { "  - \($0.layer) (\($0.className)): \($0.reason)" }.joined(separator: "\n")
                + "\nUse `graft inspect --weights` to list the file's weights, or replace these layers in Keras and save again."
        case let .badLayerConfig(layer, className, key, reason):
            "layer '\(layer)' (\(className)): config '\(key)' \(reason)"
        case let .unknownInbound(layer, source):
            "layer '\(layer)' reads '\(source)', which no earlier layer produces"
        case let .unsupportedShape(layer, className, shape, reason):
            "layer '\(layer)' (\(className)) on input \(shape): \(reason)"
        }
    }
}

extension KerasImportError {
    /// The error without the file `inFile` adds.
    public var underlying: KerasImportError {
        if case let .inFile(_, error) = self { return error.underlying }
        return self
    }

    /// `self`, or `.inFile(path, self)` when its message does not name `path` yet.
    /// Config errors name their own source (the model file or the `--config` file).
    func naming(file path: String) -> KerasImportError {
        switch self {
        case .inFile, .badConfig, .notAKerasFile, .missingConfig, .zip, .zipEntryMissing, .zipEntryTooLarge,
             .zipEntryOutsideArchive, .zipEntryNotAFile, .zipBomb:
            return self
        case let .hdf5(.notHDF5(named, _)) where named == path, let .hdf5(.cannotRead(named, _)) where named == path:
            return self
        default:
            return .inFile(path: path, self)
        }
    }
}

/// Runs `body`, naming `url`'s path in any error whose message does not name it.
func naming<T>(_ url: URL, _ body: () throws(KerasImportError) -> T) throws(KerasImportError) -> T {
    do { return try body() } catch { throw error.naming(file: url.path) }
}

/// One layer the importer cannot translate, and why.
public struct UnsupportedLayer: Equatable, Sendable {
    /// The layer's path, `outer/inner` for layers of nested models.
    public var layer: String
    public var className: String
    public var reason: String

    public init(layer: String, className: String, reason: String) {
        self.layer = layer
        self.className = className
        self.reason = reason
    }
}
