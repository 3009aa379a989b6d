import Foundation
import Testing
import GraphIR
import TensorCore
@testable import ONNXFormat
import TestSupport

/// What `Models/onnx-ops/generate.py` computed from each fixture's protos.
struct ExpectedModel: Decodable {
    struct Initializer: Decodable {
        var dims: [Int]
        var data_type: Int32
    }
    var ir_version: Int
    var opset: Int
    var onnx_node_count: Int
    var graph_node_count: Int
    var op_histogram: [String: Int]
    var parameter_count: Int
    var initializers: [String: Initializer]
    var first_values: [String: [Float]]
    var outputs: [String]

    static let all: [String: ExpectedModel] = {
        let url = Fixtures.repoFile("Models/onnx-ops/expected.json")
        guard let data = try? Data(contentsOf: url),
              let decoded = try? JSONDecoder().decode([String: ExpectedModel].self, from: data)
        else { return [:] }
        return decoded
    }()
}

let fixtureNames = ["conv_block.onnx", "shape_ops.onnx", "legacy_opset9.onnx", "opset18.onnx", "external_data.onnx"]

func fixtureURL(_ name: String) -> URL {
    Fixtures.repoFile("Models/onnx-ops/\(name)")
}

func importFixture(_ name: String) throws -> Graph {
    try ONNXImporter.load(url: fixtureURL(name))
}

@Suite("Generated op-coverage models match expected.json")
struct FixtureModelTests {
    @Test func expectedJSONListsEveryFixture() {
        #expect(Set(ExpectedModel.all.keys) == Set(fixtureNames))
    }

    @Test(arguments: fixtureNames)
    func readerSeesWhatTheGeneratorWrote(_ name: String) throws {
        let expected = try #require(ExpectedModel.all[name])
        let file = try ONNXReader.read(url: fixtureURL(name))
        #expect(file.irVersion == expected.ir_version)
        #expect(file.opsetVersion(for: "") == expected.opset)
        #expect(file.graph.nodes.count == expected.onnx_node_count)
        #expect(Dictionary(file.graph.nodes.map { ($0.opType, 1) }, uniquingKeysWith: +) == expected.op_histogram)
        #expect(file.graph.initializers.count == expected.initializers.count)
        for initializer in file.graph.initializers {
            #expect(expected.initializers[initializer.name]?.dims == initializer.dims, "\(initializer.name)")
            #expect(expected.initializers[initializer.name]?.data_type == initializer.dataType, "\(initializer.name)")
        }
        #expect(file.metadataProps == [ONNXMetadataEntry(key: "purpose", value: "graft op coverage")])
    }

    @Test(arguments: fixtureNames)
    func importMatchesCountsAndWeights(_ name: String) throws {
        let expected = try #require(ExpectedModel.all[name])
        let graph = try importFixture(name)
        #expect(graph.nodes.count == expected.graph_node_count)
        #expect(parameterCount(graph) == expected.parameter_count)
        #expect(graph.outputs == expected.outputs)
        #expect(graph.metadata.producer == "graft-fixtures 1")
        #expect(graph.metadata.properties == ["purpose": "graft op coverage"])
        for (tensor, values) in expected.first_values {
            let parameter = try #require(graph.parameters[tensor], "\(tensor) missing")
            #expect(Array(parameter.tensor.scalars.prefix(3)) == values, "\(tensor)")
            #expect(parameter.tensor.shape == expected.initializers[tensor]?.dims, "\(tensor)")
        }
    }

    @Test func everyTableOpIsCoveredByAFixture() throws {
        var covered: Set<String> = []
        for name in fixtureNames {
            covered.formUnion(try ONNXReader.read(url: fixtureURL(name)).graph.nodes.map(\.opType))
        }
        #expect(Set(onnxOpImporters.keys).union(["Constant"]).subtracting(covered).isEmpty)
    }
}

@Suite("Op translation details")
struct OpTranslationTests {
    @Test func convBlock() throws {
        let g = try importFixture("conv_block.onnx")
        func op(_ name: String) -> Op? { g.nodes.first { $0.name == name }?.op }
        #expect(op("conv1") == .conv2d(Conv2DAttributes(kernel: [3, 3], pads: [1, 1, 1, 1])))
        #expect(op("depthwise") == .conv2d(Conv2DAttributes(kernel: [3, 3], strides: [2, 2], autoPad: .sameUpper, group: 4)))
        #expect(op("bn1") == .batchNorm(epsilon: 1e-3))
        #expect(op("relu6") == .clip(min: 0, max: 6))
        #expect(g.nodes.first { $0.name == "relu6" }?.inputs == ["dw"])
        #expect(op("gate") == .hardSigmoid(alpha: 0.25, beta: 0.5))
        #expect(op("avgpool") == .averagePool(PoolAttributes(kernel: [2, 2], strides: [2, 2], countIncludePad: true)))
        #expect(op("maxpool") == .maxPool(PoolAttributes(kernel: [2, 2], pads: [0, 0, 1, 1])))
        #expect(op("fc") == .gemm(GemmAttributes(transB: true)))
        #expect(op("dropout") == .dropout(ratio: 0.5))
        #expect(op("softmax") == .softmax(axis: -1))
        #expect(op("Identity_0") == .identity)
        #expect(g.parameters["bn.mean"]?.role == .statistic)
        #expect(g.parameters["bn.var"]?.role == .statistic)
        #expect(g.parameters["bn.scale"]?.role == .weight)
        #expect(g.parameters["bn.scale"]?.trainable == true)
        #expect(g.parameters["six"] == nil, "a Constant folded into Clip leaves no parameter behind")
        #expect(g.inputs == [GraphInput(name: "x", type: ValueType(.float32, Shape([.symbol("N"), .known(3), .known(8), .known(8)])))])
    }

    @Test func shapeOps() throws {
        let g = try importFixture("shape_ops.onnx")
        func node(_ name: String) throws -> Node { try #require(g.nodes.first { $0.name == name }) }
        #expect(try node("shape").op == .shape(start: 0, end: nil))
        #expect(try node("channels").op == .shape(start: 1, end: 2))
        #expect(try node("batch").op == .gather(axis: 0))
        #expect(try node("batch1").op == .unsqueeze(axes: [0]))
        #expect(try node("batch1").inputs == ["batch"])
        #expect(try node("squeeze").op == .squeeze(axes: [2]))
        #expect(try node("target").op == .concat(axis: 0))
        #expect(try node("to_nhwc").op == .transpose(perm: [0, 2, 3, 1]))
        #expect(try node("slice").inputs == ["nhwc", "starts", "ends", "axes1", "steps"])
        #expect(try node("pad").op == .pad(mode: .constant, value: 0.5))
        #expect(try node("pad").inputs == ["sliced", "pads"])
        #expect(try node("mean").op == .reduceMean(axes: [1, 2], keepDims: false))
        #expect(try node("ones").op == .constantOfShape(value: 1.5, dtype: .float32))
        #expect(try node("batch_float").op == .cast(to: .float32))
        #expect(g.parameters["zero_index"]?.role == .constant)
        #expect(g.parameters["two"]?.role == .constant)
        #expect(g.parameters["two"]?.tensor.scalars == [2])
        #expect(g.parameters["starts"]?.role == .constant)
    }

    @Test func legacyAttributeForms() throws {
        let g = try importFixture("legacy_opset9.onnx")
        func node(_ name: String) throws -> Node { try #require(g.nodes.first { $0.name == name }) }
        #expect(try node("clip").op == .clip(min: 0, max: 6))
        let slice = try node("slice")
        #expect(slice.inputs.count == 4)
        #expect(slice.inputs.dropFirst().map { g.constant($0)?.int64s } == [[0, 1], [1, 3], [0, 1]])
        let pad = try node("pad")
        #expect(pad.op == .pad(mode: .constant, value: 0))
        #expect(g.constant(pad.inputs[1])?.int64s == [0, 0, 1, 1, 0, 0, 1, 1])
        #expect(try node("squeeze").op == .squeeze(axes: [2, 3]))
        #expect(try node("unsqueeze").op == .unsqueeze(axes: [0]))
        #expect(try node("dropout").op == .dropout(ratio: 0.25))
        #expect(try node("softmax").op == .softmax(axis: -1))
        #expect(try node("mean").op == .reduceMean(axes: [2, 3], keepDims: true))
        #expect(g.parameters["flat_shape"]?.tensor.int64s == [1, 48])
        #expect(g.parameters["flat_shape"]?.role == .constant)
        #expect(g.parameters["fc.w"]?.tensor.storage.isOwned == true, "float_data is converted, not borrowed")
    }

    @Test func opset18InputForms() throws {
        let g = try importFixture("opset18.onnx")
        #expect(g.nodes.map(\.op) == [.pad(mode: .reflect, value: 0), .clip(min: -0.25, max: .infinity),
                                      .reduceMean(axes: [2, 3], keepDims: true), .squeeze(axes: [])])
        #expect(g.nodes[2].inputs == ["clipped"])
    }

    @Test func externalDataIsMappedFromTheSideFile() throws {
        let g = try importFixture("external_data.onnx")
        let weight = try #require(g.parameters["fc.w"])
        #expect(weight.tensor.shape == [3, 4])
        #expect(!weight.tensor.storage.isOwned, "aligned external data is borrowed from the mapped file")
    }
}
