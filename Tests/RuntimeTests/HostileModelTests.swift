import Foundation
import GraphIR
import ONNXFormat
import TensorCore
import TestSupport
import Testing
@testable import Runtime

/// Tiny ONNX models whose graphs ask for huge tensors (`Formats/onnx/corrupt`, see its
/// `generate.py`): planning refuses each with the error naming the node and the size,
/// before anything of that size is allocated (`FoldLimit`, `ActivationLimit`).
enum HugeFold: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case constantOfShape = "constant_of_shape_10g"
    case broadcastAdd = "broadcast_add_10g"
    case gather = "gather_10g"

    var testDescription: String { rawValue }
    var url: URL { Fixtures.repoFile("Formats/onnx/corrupt/\(rawValue).onnx") }

    /// The node whose folded result is [100000, 100000].
    var node: String {
        switch self {
        case .constantOfShape: "big"
        case .broadcastAdd: "outer"
        case .gather: "repeat"
        }
    }
}

@Test(arguments: HugeFold.allCases)
func foldingATenGigaElementConstantIsRefused(_ model: HugeFold) throws {
    let graph = try ONNXImporter.load(url: model.url)
    let error = try #require(throws: RuntimeError.self) { try Planner.compile(graph) }
    #expect(error == .constantTooLarge(node: model.node, op: graph.nodes.first { $0.name == model.node }!.op.name,
                                       shape: [100000, 100000], limit: FoldLimit.floor))
    #expect("\(error)".contains("node \(model.node) ") && "\(error)".contains("10000000000 elements"), "\(error)")
}

@Test func foldLimitGrowsWithTheModelsWeights() {
    #expect(FoldLimit.maxElements(weightBytes: 0) == 1 << 26)
    #expect(FoldLimit.maxElements(weightBytes: 1 << 30) == (1 << 28) + (1 << 20))
    #expect(FoldLimit.elementCount([100000, 100000], atMost: 1 << 26) == nil)
    #expect(FoldLimit.elementCount([1 << 32, 1 << 32], atMost: .max) == nil)
    #expect(FoldLimit.elementCount([-1, 5], atMost: .max) == nil)
    #expect(FoldLimit.elementCount([64, 64, 112, 112], atMost: 1 << 26) == 51_380_224)
}

/// 112 GiB of float32 for one image: more than any machine these tests run on.
@Test func anInputLargerThanMemoryIsRefusedBeforeAllocating() throws {
    let graph = try ONNXImporter.load(url: Fixtures.repoFile("Formats/onnx/corrupt/input_1x3x100000x100000.onnx"))
    let error = try #require(throws: RuntimeError.self) { try Planner.compile(graph) }
    guard case let .activationsTooLarge(what, shape, bytes, limit) = error else { Issue.record("\(error)"); return }
    #expect(what == "input x" && shape == [1, 3, 100000, 100000] && bytes == 120_000_000_000 && limit == ActivationLimit.maxBytes)
    #expect("\(error)".contains("111.8 GiB"), "\(error)")
}

/// A 4-byte input padded to [1, 1, 300000, 300000] (335 GiB): refused at the pad, before any buffer exists.
@Test func aValueLargerThanMemoryIsRefusedBeforeAllocating() throws {
    let g = Graph(name: "pad", inputs: [GraphInput(name: "x", type: ValueType(.float32, Shape(known: [1, 1, 1, 1])))],
                  outputs: ["y"],
                  nodes: [Node(name: "grow", op: .pad(mode: .constant, value: 0), inputs: ["x", "pads"], outputs: ["p"]),
                          Node(name: "relu", op: .relu, inputs: ["p"], outputs: ["y"])],
                  parameters: ["pads": Parameter(Tensor(shape: [8], int64s: [0, 0, 0, 0, 0, 0, 299_999, 299_999]), role: .constant)])
    let error = try #require(throws: RuntimeError.self) { try Planner.compile(g) }
    guard case let .activationsTooLarge(what, shape, _, _) = error else { Issue.record("\(error)"); return }
    #expect(what == "value p of node grow (pad)" && shape == [1, 1, 300_000, 300_000], "\(error)")
}

/// Input and output of a ReLU, each 60% of this machine's memory: every value fits,
/// the two buffers together do not. Refused once the buffers are assigned, before they exist.
@Test func aPlanWhoseBuffersTogetherExceedMemoryIsRefused() throws {
    let n = ActivationLimit.maxBytes / 4 / 5 * 3
    let g = Graph(name: "relu", inputs: [GraphInput(name: "x", type: ValueType(.float32, Shape(known: [1, n])))],
                  outputs: ["y"], nodes: [Node(name: "relu", op: .relu, inputs: ["x"], outputs: ["y"])])
    let error = try #require(throws: RuntimeError.self) { try Planner.compile(g) }
    guard case let .activationsTooLarge(what, _, bytes, limit) = error else { Issue.record("\(error)"); return }
    #expect(what == nil && bytes == 2 * 4 * n && limit == ActivationLimit.maxBytes, "\(error)")
    #expect("\(error)".hasPrefix("the plan's activations need "), "\(error)")
}
