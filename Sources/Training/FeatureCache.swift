import Foundation
import GraphIR
import HDF5Support
import TensorCore

/// Features of images under one backbone and one preprocessing, on disk.
///
/// One HDF5 file per (model digest, preprocessing digest) in `directory`
/// (`$GRAFT_CACHE/features`, default `.cache/graft/features`):
/// dataset `features` `[M, C]` float32, attribute `images` (chunked string array:
/// each row's image content digest), attributes `model`, `preprocessing`, `graft_cache_version`.
/// Writes go to a temporary file that is renamed into place, so concurrent runs
/// never see a partial file (the last rename wins; each file is complete). `merge`
/// re-reads the file just before writing, so rows another run stored meanwhile are kept
/// unless both renames race (then only a speed-up is lost: those rows are recomputed).
///
/// Rows may be any per-image tensor, flattened (pooled features `[C]`, block activations
/// `[C, H, W]`): the file only records the row width. `part` names a second file beside the
/// plain one (`"views"`: augmented views, keyed by `FeatureExtractor.viewKey`).
public struct FeatureCache: Sendable {
    public var directory: URL
    public var modelDigest: String
    public var preprocessingDigest: String
    /// nil: the plain features' file; else a suffix of the file name.
    public var part: String?
    static let version = "1"

    public init(directory: URL, modelDigest: String, preprocessingDigest: String, part: String? = nil) {
        self.directory = directory
        self.modelDigest = modelDigest
        self.preprocessingDigest = preprocessingDigest
        self.part = part
    }

    /// `$GRAFT_CACHE/features` or `.cache/graft/features` in the working folder.
    public static var defaultDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["GRAFT_CACHE"] {
            return URL(fileURLWithPath: path).appendingPathComponent("features")
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".cache/graft/features")
    }

    public var file: URL {
        directory.appendingPathComponent("\(modelDigest)-\(preprocessingDigest)\(part.map { "-\($0)" } ?? "").h5")
    }

    /// Cached feature rows by image digest; empty when there is no (readable) cache file.
    public func load() -> [String: [Float]] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [:] }
        do {
            let h5 = try HDF5File.open(file)
            let root = try h5.root()
            guard try root.stringAttribute("graft_cache_version") == Self.version,
                  try root.stringAttribute("model") == modelDigest else { return [:] }
            let digests = try root.chunkedStringArrayAttribute("images")
            let features = try root.dataset("features").readFloat32()
            guard features.rank == 2, features.shape[0] == digests.count else { return [:] }
            let width = features.shape[1]
            let values = features.scalars
            var result: [String: [Float]] = [:]
            for (i, d) in digests.enumerated() { result[d] = Array(values[i * width..<(i + 1) * width]) }
            return result
        } catch {
            // A damaged cache is only a lost speed-up: recompute.
            return [:]
        }
    }

    /// Adds `rows` to what the file holds now (re-read just before the write) and writes
    /// the union atomically; rows of another width are dropped. Nothing to add: no write.
    public func merge(_ rows: [String: [Float]]) throws {
        guard let width = rows.first?.value.count else { return }
        var all = load().filter { $0.value.count == width }
        all.merge(rows) { _, new in new }
        try store(all)
    }

    /// Writes `rows` (all of them: merge with `load()` first) atomically.
    public func store(_ rows: [String: [Float]]) throws {
        guard let width = rows.first?.value.count else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let digests = rows.keys.sorted()
        var values: [Float] = []
        values.reserveCapacity(digests.count * width)
        for d in digests { values += rows[d]! }
        do {
            try AtomicFile.write(to: file) { temporary in
                let h5 = try HDF5File.create(temporary)
                let root = try h5.root()
                try root.writeStringAttribute("graft_cache_version", Self.version)
                try root.writeStringAttribute("model", modelDigest)
                try root.writeStringAttribute("preprocessing", preprocessingDigest)
                try root.writeChunkedStringArrayAttribute("images", digests)
                try root.writeFloat32Dataset("features", Tensor(shape: [digests.count, width], scalars: values))
            }
        } catch {
            throw TrainingError.cache(path: file.path, reason: String(describing: error))
        }
    }
}
