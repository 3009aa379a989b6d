import Foundation
import Testing
import TensorCore
@testable import ONNXFormat
import TestSupport

@Suite("ONNXReader on real models")
struct ReaderTests {
    @Test func readsEfficientNetLite0() throws {
        let model = try ONNXReader.read(url: try Fixtures.realModel(.efficientNetLite0))
        #expect(model.irVersion == 7)
        #expect(model.opsetVersion(for: "") == 13)
        #expect(model.producerName == "pytorch")
        #expect(model.graph.initializers.count == 100)
        let floats = model.graph.initializers.filter { $0.dtype == .float32 }
        #expect(floats.reduce(0) { $0 + $1.tensor.elementCount } == 4_631_000)
        let input = try #require(model.graph.inputs.first)
        #expect(input.shape == Shape([.symbol("batch"), .known(3), .known(224), .known(224)]))
        #expect(model.graph.nodes.filter { $0.opType == "Constant" }.count == 222)
    }

    @Test func rawDataIsBorrowedNotCopied() throws {
        let model = try ONNXReader.read(url: try Fixtures.realModel(.efficientNetLite0))
        let weight = try #require(model.graph.initializers.first { $0.dims.count == 4 })
        #expect(!weight.tensor.storage.isOwned)
    }

    @Test func readsOpenNSFW() throws {
        let model = try ONNXReader.read(url: try Fixtures.realModel(.openNSFW))
        #expect(model.opsetVersion(for: "") == 17)
        let floats = model.graph.initializers.filter { $0.dtype == .float32 }
        #expect(floats.reduce(0) { $0 + $1.tensor.elementCount } == 5_929_282)
        #expect(model.graph.nodes.last?.opType == "Softmax")
    }
}
