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
/// The first 512 bytes (an HDF5 user block, before the superblock) are Graft's seal:
/// the byte count and FNV-1a digest of the rest, written after libhdf5 closed the file.
/// `read` checks the seal before libhdf5 sees the file, so libhdf5 (whose parser crashes
/// on some corrupt files, Docs/reliability.md) only ever parses bytes it wrote itself.
/// A truncated, overwritten or bit-flipped file, or one of another layout, is a cache miss.
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
    static let version = "2"
    /// Bytes before the HDF5 superblock that hold the seal.
    static let sealSize = 512
    static let sealTitle = "graft feature cache"

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

    /// Cached feature rows by image digest; empty when there is no cache file. A file
    /// that exists but cannot be used is a cache miss too, reported as one warning line on
    /// stderr; the next `merge` replaces it.
    public func load() -> [String: [Float]] {
        do { return try read() } catch {
            FileHandle.standardError.write(Data("graft: warning: \(error)\n".utf8))
            return [:]
        }
    }

    /// Cached feature rows by image digest; empty when there is no cache file. Throws
    /// `.cacheUnusable` for a file that is damaged (seal, libhdf5 or layout) or made for another model.
    public func read() throws(TrainingError) -> [String: [Float]] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [:] }
        func unusable(_ reason: String) -> TrainingError { .cacheUnusable(path: file.path, reason: reason) }
        if let damage = Self.sealDamage(file) { throw unusable(damage) }
        let digests: [String], features: Tensor
        do {
            let h5 = try HDF5File.open(file)
            let root = try h5.root()
            let version = try root.stringAttribute("graft_cache_version")
            guard version == Self.version else { throw unusable("cache version \(version), not \(Self.version)") }
            let model = try root.stringAttribute("model")
            guard model == modelDigest else { throw unusable("made for model \(model), not \(modelDigest)") }
            digests = try root.chunkedStringArrayAttribute("images")
            features = try root.dataset("features").readFloat32()
        } catch let error as TrainingError {
            throw error
        } catch {
            throw unusable("\(error)")
        }
        guard features.rank == 2, features.shape[0] == digests.count else {
            throw unusable("features \(features.shape) for \(digests.count) images")
        }
        let width = features.shape[1]
        let values = features.scalars
        var result: [String: [Float]] = [:]
        for (i, d) in digests.enumerated() { result[d] = Array(values[i * width..<(i + 1) * width]) }
        return result
    }

    /// Why the seal of `url` does not match its contents; nil when it does.
    static func sealDamage(_ url: URL) -> String? {
        guard let data = try? Data(contentsOf: url, options: .mappedIfSafe) else { return "cannot be read" }
        guard data.count >= sealSize else { return "\(data.count) bytes, shorter than its \(sealSize)-byte seal" }
        let text = String(decoding: data.prefix(sealSize).prefix { $0 != 0 }, as: UTF8.self)
        let lines = text.split(separator: "\n")
        guard lines.count == 3, lines[0] == sealTitle, lines[1].hasPrefix("bytes "), lines[2].hasPrefix("fnv1a64 "),
              let count = Int(lines[1].dropFirst("bytes ".count)) else {
            let hdf5 = data.starts(with: HDF5File.signature)
            return "no Graft seal in its first \(sealSize) bytes" + (hdf5 ? ": an HDF5 file written by an older Graft or another program" : "")
        }
        guard count == data.count - sealSize else {
            return "\(data.count - sealSize) bytes after its seal, which says \(count): truncated or overwritten"
        }
        guard lines[2].dropFirst("fnv1a64 ".count) == contentDigest(data) else {
            return "its contents do not match the digest in its seal"
        }
        return nil
    }

    /// The digest of everything after the seal.
    static func contentDigest(_ data: Data) -> String {
        var digest = Digest()
        data.withUnsafeBytes { digest.combine(UnsafeRawBufferPointer(rebasing: $0[sealSize...])) }
        return digest.hex
    }

    /// Writes the seal into the first `sealSize` bytes of the closed HDF5 file at `url`.
    static func seal(_ url: URL) throws {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        var seal = Array("\(sealTitle)\nbytes \(data.count - sealSize)\nfnv1a64 \(contentDigest(data))\n".utf8)
        seal += [UInt8](repeating: 0, count: sealSize - seal.count)
        let handle = try FileHandle(forUpdating: url)
        defer { try? handle.close() }
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: seal)
        try handle.synchronize()
    }

    /// Adds `rows` to what the file holds now (re-read just before the write) and writes
    /// the union atomically; rows of another width are dropped. Nothing to add: no write.
    public func merge(_ rows: [String: [Float]]) throws {
        guard let width = rows.first?.value.count else { return }
        // A damaged file was reported by `load`; it is replaced here.
        var all = ((try? read()) ?? [:]).filter { $0.value.count == width }
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
                try writeHDF5(temporary, digests: digests, features: Tensor(shape: [digests.count, width], scalars: values))
                try Self.seal(temporary)
            }
        } catch {
            throw TrainingError.cache(path: file.path, reason: String(describing: error))
        }
    }

    /// The HDF5 part, after `sealSize` reserved bytes; the file is closed on return.
    private func writeHDF5(_ url: URL, digests: [String], features: Tensor) throws {
        let h5 = try HDF5File.create(url, userBlock: Self.sealSize)
        let root = try h5.root()
        try root.writeStringAttribute("graft_cache_version", Self.version)
        try root.writeStringAttribute("model", modelDigest)
        try root.writeStringAttribute("preprocessing", preprocessingDigest)
        try root.writeChunkedStringArrayAttribute("images", digests)
        try root.writeFloat32Dataset("features", features)
    }
}
