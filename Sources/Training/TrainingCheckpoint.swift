import Foundation
import GraphIR

/// A resumable snapshot of `graft train` after an epoch (or an interrupted mini-batch or iteration):
/// the `TrainingState` and what it belongs to — the feature-cache key (backbone and
/// preprocessing digests), a digest of the split (the images, in order, with labels),
/// the class names and the options. JSON; every Double is written as the shortest
/// decimal that reads back to the same bits, ±∞ as strings (the L-BFGS vectors as base64
/// of their bytes, `LBFGS`).
public struct TrainingCheckpoint: Sendable, Codable, Equatable {
    public static let currentVersion = 1
    /// `graft train` writes a checkpoint after an epoch when this many seconds have passed
    /// since the last one (or since training started), and always when it is interrupted.
    public static let interval: TimeInterval = 1
    public var version = TrainingCheckpoint.currentVersion
    public var modelDigest: String
    public var preprocessingDigest: String
    public var splitDigest: String
    public var classNames: [String]
    public var options: TrainingOptions
    public var state: TrainingState

    public init(modelDigest: String, preprocessingDigest: String, splitDigest: String, classNames: [String],
                options: TrainingOptions, state: TrainingState) {
        self.modelDigest = modelDigest
        self.preprocessingDigest = preprocessingDigest
        self.splitDigest = splitDigest
        self.classNames = classNames
        self.options = options
        self.state = state
    }

    /// `OUT.checkpoint` next to the output file.
    public static func path(forOutput output: String) -> URL { URL(fileURLWithPath: output + ".checkpoint") }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> TrainingCheckpoint {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(TrainingCheckpoint.self, from: data)
    }

    /// Writes to a temporary file renamed into place: a reader sees the old or the new checkpoint, never a partial one.
    public func write(to url: URL) throws {
        let data = try encoded()
        try AtomicFile.write(data, to: url)
    }

    public static func read(from url: URL) throws -> TrainingCheckpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TrainingError.checkpoint(path: url.path, reason: "no checkpoint to resume from (it is written after each epoch of a run with the same -o)")
        }
        let checkpoint: TrainingCheckpoint
        do { checkpoint = try decode(data) } catch {
            throw TrainingError.checkpoint(path: url.path, reason: "not a readable Graft checkpoint (\(error))")
        }
        guard checkpoint.version == currentVersion else {
            throw TrainingError.checkpoint(path: url.path, reason: "checkpoint version \(checkpoint.version), this Graft reads \(currentVersion)")
        }
        return checkpoint
    }

    /// Why this checkpoint cannot continue a run with `other`'s model, data and options; nil when it can.
    public func mismatch(with other: TrainingCheckpoint) -> String? {
        if modelDigest != other.modelDigest { return "it was made with a different model (backbone digest \(modelDigest), now \(other.modelDigest))" }
        if preprocessingDigest != other.preprocessingDigest { return "it was made with a different preprocessing" }
        if classNames != other.classNames { return "it was made with classes \(classNames.joined(separator: ", ")), the data has \(other.classNames.joined(separator: ", "))" }
        if options != other.options {
            let e = JSONEncoder(); e.outputFormatting = .sortedKeys
            let a = (try? e.encode(options)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let b = (try? e.encode(other.options)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return "the training options differ: checkpoint \(a), now \(b)"
        }
        // After the options: with other augmentation options the augmented rows differ too.
        if splitDigest != other.splitDigest { return "the training/validation images differ from the checkpoint's (changed files or --val-split/--seed)" }
        return nil
    }
}
