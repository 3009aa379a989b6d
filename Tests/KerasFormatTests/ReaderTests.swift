import Foundation
import HDF5Support
import KerasFormat
import TestSupport
import Testing

@Suite struct ReaderTests {
    @Test func labdogDecodesNestedWeightsPerInnerLayer() throws {
        let file = try KerasReader.read(try Fixtures.realModel(.labdogMobileNetV2))
        #expect(file.format == .legacyH5)
        #expect(file.kerasVersion == "3.11.3")
        #expect(file.backend == "tensorflow")
        #expect(file.model.layers.map(\.name) == ["input_layer_1", "mobilenetv2_1.00_160", "global_average_pooling2d", "dropout", "dense"])
        let bn = try #require(file.weights["mobilenetv2_1.00_160/bn_Conv1"])
        #expect(bn.map(\.variableName) == ["gamma", "beta", "moving_mean", "moving_variance"])
        #expect(file.weights["mobilenetv2_1.00_160/Conv1"]?.first?.tensor.shape == [3, 3, 3, 32])
        #expect(file.weights["dense"]?.map(\.tensor.shape) == [[1280, 19], [19]])
        let total = file.weights.values.joined().reduce(0) { $0 + $1.tensor.elementCount }
        #expect(total == 2_282_323)
    }

    @Test func kerasZipUsesStoredLayerNames() throws {
        let file = try KerasReader.read(Fixtures.repoFile("Models/keras-layers/nested.keras"))
        #expect(file.format == .kerasZip)
        #expect(file.kerasVersion != nil)
        #expect(Set(file.weights.keys) == ["backbone/conv", "backbone/bn", "backbone/skip", "head/fc", "head/logits"])
        #expect(file.weights["backbone/bn"]?.count == 4)
    }

    @Test func weightsFileNeedsItsConfig() throws {
        let weights = Fixtures.repoFile("Models/keras-layers/sequential.weights.h5")
        #expect(throws: KerasImportError.missingConfig(path: weights.path)) { try KerasReader.read(weights) }
        let file = try KerasReader.read(weights, config: Fixtures.repoFile("Models/keras-layers/sequential.config.json"))
        #expect(file.model.kind == .sequential)
        #expect(Set(file.weights.keys) == ["conv", "out"])
    }

    @Test func keras3AutoNamesFollowKerasSnakeCase() {
        #expect(KerasAutoNaming.snakeCase("Conv2D") == "conv2d")
        #expect(KerasAutoNaming.snakeCase("BatchNormalization") == "batch_normalization")
        #expect(KerasAutoNaming.snakeCase("ReLU") == "re_lu")
        #expect(KerasAutoNaming.snakeCase("GlobalAveragePooling2D") == "global_average_pooling2d")
    }
}
