import Foundation
import GraphIR
import HDF5Support
import ZIPFoundation

/// Decodes Keras files into `KerasModelFile` (no IR). The format is chosen by
/// content: a zip is a Keras 3 `.keras` archive; an HDF5 file with
/// `model_weights` is a legacy model; one with a top-level `layers` group is a
/// Keras 3 weights file and needs `config`.
public enum KerasReader {
    /// Largest `config.json` accepted from an archive.
    public static let maxConfigBytes = 64 << 20
    /// Largest `model.weights.h5` accepted from an archive.
    public static let maxWeightsBytes = 16 << 30

    /// Reads `url`; `config` is a JSON file as written by `model.to_json()` or a
    /// `.keras` archive's `config.json`, required for `.weights.h5` and
    /// overriding the stored config otherwise. Every error names `url`'s path.
    public static func read(_ url: URL, config: URL? = nil) throws(KerasImportError) -> KerasModelFile {
        let override = try config.map { (c: URL) throws(KerasImportError) in try readConfigFile(c) }
        return try naming(url) { () throws(KerasImportError) in
            if try isZip(url) { return try readArchive(url, configOverride: override) }
            let file = try wrap { () throws(HDF5Error) in try HDF5File.open(url) }
            let root = try wrap { () throws(HDF5Error) in try file.root() }
            if try wrap({ () throws(HDF5Error) in try root.kind(of: "model_weights") }) == .group {
                return try LegacyH5Reader.read(root, file: url.path, configOverride: override)
            }
            guard try wrap({ () throws(HDF5Error) in try root.kind(of: "layers") }) == .group else {
                if try wrap({ () throws(HDF5Error) in try root.hasAttribute("model_config") }) {
                    throw .hdf5(.missingObject(path: "/model_weights"))
                }
                throw .notAKerasFile(path: url.path, reason: "no 'model_weights' group and no Keras 3 'layers' group")
            }
            guard let override else { throw .missingConfig(path: url.path) }
            return KerasModelFile(format: .weightsH5, kerasVersion: nil, backend: nil, model: override,
                                  weights: try Keras3WeightsReader.read(root, model: override))
        }
    }

    /// Every stored weight tensor with its shape, without building the model,
    /// so files whose architecture cannot be rebuilt can still be inspected.
    public static func listWeights(_ url: URL) throws(KerasImportError) -> [WeightEntry] {
        try naming(url) { () throws(KerasImportError) in
            if try isZip(url) {
                let archive = try openArchive(url)
                let model = try? archiveConfig(archive, path: url.path)
                return try withExtractedWeights(archive, path: url.path) { (root: HDF5Group) throws(KerasImportError) in
                    try Keras3WeightsReader.listWeights(root, model: model)
                }
            }
            let file = try wrap { () throws(HDF5Error) in try HDF5File.open(url) }
            let root = try wrap { () throws(HDF5Error) in try file.root() }
            if try wrap({ () throws(HDF5Error) in try root.kind(of: "model_weights") }) == .group {
                return try LegacyH5Reader.listWeights(root)
            }
            return try Keras3WeightsReader.listWeights(root, model: nil)
        }
    }

    static func readConfigFile(_ url: URL) throws(KerasImportError) -> KerasModelConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .badConfig(source: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        guard data.count <= maxConfigBytes else {
            throw .badConfig(source: url.path, reason: "\(data.count) bytes is more than a model config can be")
        }
        return try KerasModelConfig.parse(try JSONValue.parse(data, source: url.path), source: url.path)
    }

    static func isZip(_ url: URL) throws(KerasImportError) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw .hdf5(.cannotRead(path: url.path, reason: "the file does not exist or is not readable"))
        }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)).map { Array($0) } ?? []
        return magic == [0x50, 0x4B, 0x03, 0x04]
    }

    // MARK: - .keras archives

    static func readArchive(_ url: URL, configOverride: KerasModelConfig?) throws(KerasImportError) -> KerasModelFile {
        let archive = try openArchive(url)
        let model: KerasModelConfig
        if let configOverride { model = configOverride } else { model = try archiveConfig(archive, path: url.path) }
        var version: String?
        if let entry = archive["metadata.json"], entry.uncompressedSize <= 1 << 20,
           let data = try? extract(archive, entry, path: url.path, limit: 1 << 20),
           let json = try? JSONValue.parse(data, source: "metadata.json") {
            version = json["keras_version"]?.string
        }
        let weights = try withExtractedWeights(archive, path: url.path) { (root: HDF5Group) throws(KerasImportError) in
            try Keras3WeightsReader.read(root, model: model)
        }
        return KerasModelFile(format: .kerasZip, kerasVersion: version, backend: nil, model: model, weights: weights)
    }

    static func openArchive(_ url: URL) throws(KerasImportError) -> Archive {
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw .zip(path: url.path, reason: "\(error)")
        }
        try ArchiveEntryCheck.checkNames(archive, path: url.path)
        return archive
    }

    static func archiveConfig(_ archive: Archive, path: String) throws(KerasImportError) -> KerasModelConfig {
        guard let entry = archive["config.json"] else { throw .zipEntryMissing(path: path, entry: "config.json") }
        let data = try extract(archive, entry, path: path, limit: maxConfigBytes)
        return try KerasModelConfig.parse(try JSONValue.parse(data, source: "\(path) config.json"), source: "\(path) config.json")
    }

    static func extract(_ archive: Archive, _ entry: Entry, path: String, limit: Int) throws(KerasImportError) -> Data {
        try ArchiveEntryCheck.checkEntry(entry, path: path)
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw .zipEntryTooLarge(path: path, entry: entry.path, size: Int(clamping: entry.uncompressedSize), limit: limit)
        }
        var data = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard data.count + chunk.count <= limit else { throw ArchiveEntryOverflow() }
                data.append(chunk)
            }
        } catch {
            throw .zip(path: path, reason: "cannot extract '\(entry.path)': \(error)")
        }
        return data
    }

    /// Extracts `model.weights.h5` to a temporary file (libhdf5 reads files),
    /// opens it, runs `body`, and removes the file again.
    static func withExtractedWeights<T>(_ archive: Archive, path: String,
                                        _ body: (HDF5Group) throws(KerasImportError) -> T) throws(KerasImportError) -> T {
        guard let entry = archive["model.weights.h5"] else { throw .zipEntryMissing(path: path, entry: "model.weights.h5") }
        try ArchiveEntryCheck.checkEntry(entry, path: path)
        guard entry.uncompressedSize <= UInt64(maxWeightsBytes) else {
            throw .zipEntryTooLarge(path: path, entry: entry.path, size: Int(clamping: entry.uncompressedSize), limit: maxWeightsBytes)
        }
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("graft-\(UUID().uuidString).weights.h5")
        defer { try? FileManager.default.removeItem(at: temporary) }
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let output = FileHandle(forWritingAtPath: temporary.path) else {
            throw .zip(path: path, reason: "cannot create a temporary file at \(temporary.path)")
        }
        do {
            defer { try? output.close() }
            var written: UInt64 = 0
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                written += UInt64(chunk.count)
                guard written <= entry.uncompressedSize else { throw ArchiveEntryOverflow() }
                try output.write(contentsOf: chunk)
            }
        } catch {
            throw .zip(path: path, reason: "cannot extract 'model.weights.h5': \(error)")
        }
        let file = try wrap { () throws(HDF5Error) in try HDF5File.open(temporary) }
        let root = try wrap { () throws(HDF5Error) in try file.root() }
        return try body(root)
    }
}

private struct ArchiveEntryOverflow: Error, CustomStringConvertible {
    var description: String { "the entry is larger than it claims" }
}
