import Foundation
import HDF5Support
import KerasFormat
import TestSupport
import Testing

/// HDF5 attribute forms Keras uses, read through HDF5Support.
@Suite struct LayoutTests {
    @Test func chunkedLayerNamesAndFixedLengthWeightNamesRead() throws {
        let url = Fixtures.repoFile("Formats/keras-h5/fixtures/chunked_layer_names.h5")
        let root = try HDF5File.open(url).root()
        let modelWeights = try root.group("model_weights")
        let plainRoot = try HDF5File.open(Fixtures.repoFile("Models/keras-layers/nested_legacy.h5")).root()
        let names = try plainRoot.group("model_weights").stringArrayAttribute("layer_names")
        #expect(names.count == 5)
        #expect(try modelWeights.chunkedStringArrayAttribute("layer_names") == names)
        #expect(try modelWeights.group("backbone").stringArrayAttribute("weight_names").first == "bn/gamma")
        let plain = try KerasImporter.load(url: Fixtures.repoFile("Models/keras-layers/nested_legacy.h5"))
        let chunked = try KerasImporter.load(url: url)
        #expect(Set(plain.parameters.keys) == Set(chunked.parameters.keys))
    }

    @Test func emptyWeightNamesStoredAsFloatArrayReadAsEmpty() throws {
        let root = try HDF5File.open(Fixtures.repoFile("Models/keras-layers/nested_legacy.h5")).root()
        #expect(try root.group("model_weights/pool").stringArrayAttribute("weight_names") == [])
    }

    @Test func datasetShapeAndTypeAreReadBeforeData() throws {
        let root = try HDF5File.open(Fixtures.repoFile("Models/keras-layers/nested_legacy.h5")).root()
        let kernel = try root.dataset("model_weights/backbone/conv/kernel")
        #expect(kernel.shape == [3, 3, 3, 4])
        #expect(kernel.dtype == .float32)
        #expect(try kernel.readFloat32().elementCount == 108)
    }

    @Test func missingObjectsAndAttributesAreNamed() throws {
        let root = try HDF5File.open(Fixtures.repoFile("Models/keras-layers/nested_legacy.h5")).root()
        #expect(throws: HDF5Error.missingObject(path: "/model_weights/nope")) { try root.group("model_weights/nope") }
        #expect(throws: HDF5Error.missingAttribute(object: "/", name: "nope")) { try root.stringAttribute("nope") }
        #expect(throws: HDF5Error.wrongKind(path: "/model_weights", expected: "dataset")) { try root.dataset("model_weights") }
    }
}
