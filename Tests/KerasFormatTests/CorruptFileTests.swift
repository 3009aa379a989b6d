import Foundation
import HDF5Support
import KerasFormat
import TestSupport
import Testing

/// Broken files: each must throw `KerasImportError` of the expected case, never crash.
enum Corruption: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case emptyFile, randomBytes, labdogTruncatedAt10Percent, labdogTruncatedAt50Percent, labdogTruncatedAt99Percent
    case noModelConfig, modelConfigNotJSON, layerNamesMissingGroup, layerNamesChunkGap
    case weightCountMismatch, weightShapeMismatch, kerasZipWithoutConfig, unsupportedLayerClass

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
        }
    }

    /// Whether `error` is the case this corruption should produce.
    func matches(_ error: KerasImportError) -> Bool {
        switch (self, error) {
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
        default: false
        }
    }
}

@Test(arguments: Corruption.allCases)
func corruptFileThrowsTheExpectedError(_ corruption: Corruption) throws {
    let url = try corruption.url()
    do {
        _ = try KerasImporter.load(url: url)
        Issue.record("\(corruption) loaded without an error")
    } catch {
        #expect(corruption.matches(error), "\(corruption) threw \(error)")
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

