import Foundation
import HDF5Support
import KerasFormat
import TestSupport
import Testing

/// Broken files: each must throw `KerasImportError` of the expected case whose message
/// names the file (its path), never crash.
enum Corruption: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case emptyFile, randomBytes, labdogTruncatedAt10Percent, labdogTruncatedAt50Percent, labdogTruncatedAt99Percent
    case noModelConfig, modelConfigNotJSON, layerNamesMissingGroup, layerNamesChunkGap
    case weightCountMismatch, weightShapeMismatch, kerasZipWithoutConfig, unsupportedLayerClass
    // Resource bounds and paths (issue #7): refused before anything is allocated or extracted.
    case datasetDeclaresGigabytes, attributeDeclaresBeyondFile, modelsNestedTooDeep
    case zipEntryNameClimbsOut, zipEntryNameAbsolute, zipWeightsEntryIsSymlink, zipEntryClaims3GiB

    var testDescription: String { rawValue }

    /// The broken file on disk (made in a temporary folder, or committed in Formats/keras-h5/corrupt).
    func url() throws -> URL {
        func committed(_ name: String) -> URL { Fixtures.repoFile("Formats/keras-h5/corrupt/\(name)") }
        switch self {
        case .emptyFile: return try temporary(Data())
        case .randomBytes:
            var generator = SeededGenerator(seed: 42)
            return try temporary(Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        case .labdogTruncatedAt10Percent: return try truncatedLabdog(0.10)
        case .labdogTruncatedAt50Percent: return try truncatedLabdog(0.50)
        case .labdogTruncatedAt99Percent: return try truncatedLabdog(0.99)
        case .noModelConfig: return committed("no_model_config.h5")
        case .modelConfigNotJSON: return committed("model_config_not_json.h5")
        case .layerNamesMissingGroup: return committed("layer_names_missing_group.h5")
        case .layerNamesChunkGap: return committed("layer_names_chunk_gap.h5")
        case .weightCountMismatch: return committed("weight_count_mismatch.h5")
        case .weightShapeMismatch: return committed("weight_shape_mismatch.h5")
        case .kerasZipWithoutConfig: return committed("missing_config_json.keras")
        case .unsupportedLayerClass: return committed("unsupported_layers.h5")
        case .datasetDeclaresGigabytes: return committed("dataset_declares_gigabytes.h5")
        case .attributeDeclaresBeyondFile: return committed("attribute_declares_beyond_file.h5")
        case .modelsNestedTooDeep: return Fixtures.repoFile("Models/keras-layers/sequential.weights.h5")
        case .zipEntryNameClimbsOut: return try patchedKeras { try $0.rename("metadata.json", to: "../adata.json") }
        case .zipEntryNameAbsolute: return try patchedKeras { try $0.rename("metadata.json", to: "/etc/passwd!!") }
        case .zipWeightsEntryIsSymlink: return try patchedKeras { try $0.makeSymlink("model.weights.h5") }
        case .zipEntryClaims3GiB: return try patchedKeras { try $0.setUncompressedSize("model.weights.h5", to: 3 << 30) }
        }
    }

    /// The config JSON that overrides the file's own, for the cases that need one.
    func config() throws -> URL? {
        guard self == .modelsNestedTooDeep else { return nil }
        // Sequential(Sequential(… Dense …)), one level deeper than the limit.
        var model = #"{"class_name": "Dense", "config": {"name": "d", "units": 2}}"#
        for level in 0...(KerasModelConfig.maxNestingDepth + 1) {
            model = #"{"class_name": "Sequential", "config": {"name": "s\#(level)", "layers": [\#(model)]}}"#
        }
        return try temporary(Data(model.utf8))
    }

    /// Whether `error` is the case this corruption should produce (under the file `inFile` adds).
    func matches(_ error: KerasImportError) -> Bool {
        switch (self, error.underlying) {
        case (.emptyFile, .hdf5(.notHDF5)), (.randomBytes, .hdf5(.notHDF5)): true
        case (.labdogTruncatedAt10Percent, .hdf5), (.labdogTruncatedAt50Percent, .hdf5),
             (.labdogTruncatedAt99Percent, .hdf5): true
        case (.noModelConfig, .hdf5(.missingAttribute(_, "model_config"))): true
        case (.modelConfigNotJSON, .badConfig): true
        case (.layerNamesMissingGroup, .hdf5(.missingObject(let path))): path.hasSuffix("no_such_layer")
        case (.layerNamesChunkGap, .hdf5(.chunkGap(_, "layer_names", [0, 2]))): true
        case (.weightCountMismatch, .weightCount(let layer, _, _)): layer == "backbone/skip"
        case (.weightShapeMismatch, .weightShape(let layer, "kernel", [3, 3, 3, 4], [3, 3, 3, 5])): layer == "backbone/conv"
        case (.kerasZipWithoutConfig, .zipEntryMissing(_, "config.json")): true
        case (.unsupportedLayerClass, .unsupportedLayers(let layers)):
            layers.map(\.layer) == ["act_relu", "dense_silu"] && layers.map(\.className) == ["GRU", "Dense"]
        case (.datasetDeclaresGigabytes, .hdf5(.declaredBeyondFile(let path, 3_600_000_000, _))): path.hasSuffix("skip/kernel")
        // 100000 heap references declared in a 34 kB file. libhdf5 1.10.8 refuses the attribute
        // message itself (its data would run past the message) before `HDF5SizeLimit` is reached.
        case (.attributeDeclaresBeyondFile, .hdf5(.call("H5Aexists", let object, _, "data size exceeds buffer size"))):
            object == "/model_weights"
        case (.modelsNestedTooDeep, .badConfig(_, let reason)): reason.contains("nested") && reason.contains("limit")
        case (.zipEntryNameClimbsOut, .zipEntryOutsideArchive(_, "../adata.json")): true
        case (.zipEntryNameAbsolute, .zipEntryOutsideArchive(_, "/etc/passwd!!")): true
        case (.zipWeightsEntryIsSymlink, .zipEntryNotAFile(_, "model.weights.h5", _)): true
        case (.zipEntryClaims3GiB, .zipBomb(_, "model.weights.h5", _, 3 << 30)): true
        default: false
        }
    }
}

@Test(arguments: Corruption.allCases)
func corruptFileThrowsTheExpectedError(_ corruption: Corruption) throws {
    let url = try corruption.url()
    let config = try corruption.config()
    do {
        _ = try KerasImporter.load(url: url, config: config)
        Issue.record("\(corruption) loaded without an error")
    } catch {
        #expect(corruption.matches(error), "\(corruption) threw \(error)")
        // Errors in an overriding config name that file instead.
        #expect("\(error)".contains((config ?? url).path), "\(corruption): \(error)")
    }
}

/// `Models/keras-layers/nested.keras` (stored, not deflated) with its zip headers edited in place.
private func patchedKeras(_ edit: (inout ZipHeaders) throws -> Void) throws -> URL {
    var zip = ZipHeaders(bytes: [UInt8](try Data(contentsOf: Fixtures.repoFile("Models/keras-layers/nested.keras"))))
    try edit(&zip)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("graft-corrupt-\(UUID().uuidString).keras")
    try Data(zip.bytes).write(to: url)
    return url
}

/// Byte-level edits of a small zip's local and central-directory headers (no zip64).
struct ZipHeaders {
    var bytes: [UInt8]

    struct NotFound: Error { var name: String }

    /// Offsets of the local header (`PK\3\4`) and central header (`PK\1\2`) of `name`.
    func headers(of name: String) throws -> (local: Int, central: Int) {
        var local: Int?, central: Int?
        let wanted = Array(name.utf8)
        for i in 0..<(bytes.count - 46) where bytes[i] == 0x50 && bytes[i + 1] == 0x4B {
            if bytes[i + 2] == 3, bytes[i + 3] == 4, Array(bytes[(i + 30)..<(i + 30 + wanted.count)]) == wanted,
               u16(i + 26) == wanted.count { local = i }
            if bytes[i + 2] == 1, bytes[i + 3] == 2, Array(bytes[(i + 46)..<(i + 46 + wanted.count)]) == wanted,
               u16(i + 28) == wanted.count { central = i }
        }
        guard let local, let central else { throw NotFound(name: name) }
        return (local, central)
    }

    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }

    mutating func put32(_ value: UInt32, at: Int) {
        for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
    }

    /// Same length names only, so no offset moves.
    mutating func rename(_ name: String, to new: String) throws {
        precondition(name.utf8.count == new.utf8.count)
        let (local, central) = try headers(of: name)
        bytes.replaceSubrange((local + 30)..<(local + 30 + new.utf8.count), with: Array(new.utf8))
        bytes.replaceSubrange((central + 46)..<(central + 46 + new.utf8.count), with: Array(new.utf8))
    }

    /// Marks the entry as a Unix symlink (mode 0o120777 in the external attributes).
    mutating func makeSymlink(_ name: String) throws {
        let (_, central) = try headers(of: name)
        bytes[central + 5] = 3
        put32(UInt32(0o120777) << 16, at: central + 38)
    }

    mutating func setUncompressedSize(_ name: String, to size: UInt32) throws {
        let (local, central) = try headers(of: name)
        put32(size, at: local + 22)
        put32(size, at: central + 24)
    }
}

private func temporary(_ data: Data) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("graft-corrupt-\(UUID().uuidString).h5")
    try data.write(to: url)
    return url
}

private func truncatedLabdog(_ fraction: Double) throws -> URL {
    let data = try Data(contentsOf: try Fixtures.realModel(.labdogMobileNetV2))
    return try temporary(data.prefix(Int(Double(data.count) * fraction)))
}

