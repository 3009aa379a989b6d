import Foundation
import Testing
import TensorCore
import ONNXFormat

/// `ONNXReader.readTensor`: standalone `TensorProto` files, as ONNX's backend tests store their data.
@Suite("Serialized TensorProto files")
struct TensorFileTests {
    private func tensorBytes(_ spec: TestModel.TensorSpec) -> Data {
        var e = ProtoEncoder()
        TestModel.tensor(&e, spec)
        return Data(e.bytes)
    }

    @Test func rawDataDecodesWithShapeAndValues() throws {
        let values: [Float] = [1, -2, 3.5, 0, 8, 9]
        let raw = values.withUnsafeBytes { Array($0) }
        let t = try ONNXReader.readTensor(bytes: tensorBytes(.init(name: "x", dims: [2, 3], raw: raw)), name: "input_0.pb")
        #expect(t.dtype == .float32)
        #expect(t.shape == [2, 3])
        #expect(t.scalars == values)
    }

    @Test func int64RawDataDecodes() throws {
        let values: [Int64] = [3, -1, 1 << 40]
        let raw = values.withUnsafeBytes { Array($0) }
        let t = try ONNXReader.readTensor(bytes: tensorBytes(.init(name: "i", dims: [3], dataType: 7, raw: raw)), name: "output_0.pb")
        #expect(t.dtype == .int64)
        #expect(t.int64s == values)
    }

    @Test func wrongByteCountIsRefused() throws {
        let bytes = tensorBytes(.init(name: "x", dims: [2, 3], raw: Array(repeating: 0, count: 20)))
        let error = try #require(throws: ONNXImportError.self) { try ONNXReader.readTensor(bytes: bytes, name: "t.pb") }
        #expect(error.caseName == "tensorSizeMismatch")
    }

    @Test func garbageAndEmptyBytesAreNotATensor() throws {
        for bytes in [Data(), Data([0xff, 0xff, 0xff, 0xff, 0x0f])] {
            let error = try #require(throws: ONNXImportError.self) { try ONNXReader.readTensor(bytes: bytes, name: "t.pb") }
            #expect(error.caseName == "notATensor")
            #expect(error.description.contains("t.pb"))
        }
    }
}
