import Backprop
import Foundation
import GraphIR
import Surgery
import TensorCore

/// What the frozen part of a backbone gives for a boundary: the activations, and how
/// many were read from the cache or computed, in how many seconds.
public struct ComputedActivations: Sendable {
    public var activations: BoundaryActivations
    public var fromCache: Int
    public var computed: Int
    public var seconds: Double

    public init(activations: BoundaryActivations, fromCache: Int, computed: Int, seconds: Double) {
        self.activations = activations
        self.fromCache = fromCache
        self.computed = computed
        self.seconds = seconds
    }
}

/// The outcome of fine-tuning.
public struct FineTuneResult: Sendable {
    /// The backbone with the kept (best) weights and, with `--bn train`, moving statistics.
    public var backbone: Graph
    public var head: DenseHead
    public var stages: [FineTuneStageRecord]
    /// Features `[n, F]` of the final backbone: training images (plain view) and validation images.
    public var trainFeatures: [Double]
    public var validationFeatures: [Double]
    /// Training stopped early because `shouldStop` said so.
    public var interrupted: Bool
}

/// Fine-tunes the last blocks of a backbone together with its head, stage by stage.
///
/// Each stage unfreezes the last K blocks: the frozen part up to their boundary runs once
/// over the images (through `activationsAt`, which caches), and every step runs only the
/// unfrozen blocks forward and backward (`TrainableGraph`) with the head on top. The stage
/// keeps the weights of its epoch with the lowest validation loss; the next stage starts
/// from them with the boundary moved deeper.
public enum FineTuner {
    public static func run(backbone: Graph, head: DenseHead, options: FineTuneOptions, training: TrainingOptions,
                           trainLabels: [Int], validationLabels: [Int], classes: Int,
                           activationsAt: (BlockBoundary, Graph) throws -> ComputedActivations,
                           shouldStop: () -> Bool = { false },
                           log: (String) -> Void = { print($0) },
                           epochDone: (EpochRecord) -> Void = { _ in }) throws -> FineTuneResult {
        var current = try prepared(backbone)
        var head = head
        var records: [FineTuneStageRecord] = []
        var interrupted = false
        var last: (trailing: Graph, activations: BoundaryActivations)?
        for (s, blocks) in options.stages.enumerated() {
            let boundary = try BlockBoundary.lastBlocks(blocks, of: current)
            var prefix = current
            try CutGraph(at: .after(boundary.value)).apply(to: &prefix)
            let trailing = try TrailingSubgraph.extract(current, from: boundary.value)
            let computed = try activationsAt(boundary, prefix)
            var stage = try Stage(trailing: trailing, boundary: boundary, head: head, options: options, training: training,
                                  seed: training.seed &+ UInt64(s) &* 0x9E37_79B9)
            log("Fine-tune stage \(s + 1)/\(options.stages.count): \(describe(boundary.blocks)) trainable "
                + "(\(stage.trainableParameters) parameters, BatchNorm \(options.batchNorm.rawValue)); "
                + "cached at \(boundary.value) \(computed.activations.sampleShape): \(computed.fromCache) from the cache, "
                + "\(computed.computed) computed; live: \(trailing.nodes.count) nodes per step")
            let outcome = try stage.train(computed.activations, trainLabels: trainLabels, validationLabels: validationLabels,
                                          classes: classes, shouldStop: shouldStop, epochDone: epochDone)
            records.append(FineTuneStageRecord(
                blocks: boundary.blocks.map(\.name), boundary: boundary.value, boundaryShape: computed.activations.sampleShape,
                liveNodes: trailing.nodes.count, trainableParameters: stage.trainableParameters,
                activationsFromCache: computed.fromCache, activationsComputed: computed.computed,
                activationSeconds: computed.seconds, epochs: outcome.history, bestEpoch: outcome.bestEpoch,
                stopReason: outcome.stopReason, trainSeconds: outcome.seconds))
            for (name, parameter) in outcome.trailing.parameters where current.parameters[name] != nil {
                current.parameters[name]!.tensor = parameter.tensor
            }
            head = outcome.head
            last = (outcome.trailing, computed.activations)
            if outcome.interrupted { interrupted = true; break }
        }
        guard let last else { throw FineTuneError.tooManyBlocks(asked: 0, available: []) }
        // The final network's features, as the exported model computes them.
        let network = try TrainableGraph(last.trailing, trainable: [], batchNorm: .frozen)
        let trainFeatures = try features(network, last.activations.train.map { $0[0] }, shape: last.activations.sampleShape)
        let validationFeatures = try features(network, last.activations.validation, shape: last.activations.sampleShape)
        return FineTuneResult(backbone: current, head: head, stages: records, trainFeatures: trainFeatures,
                              validationFeatures: validationFeatures, interrupted: interrupted)
    }

    /// The backbone as fine-tuning sees it: batch sizes read from the input image (PyTorch's
    /// `view(x.size(0), -1)`) would cross every block boundary, so those reshapes copy the
    /// batch dimension instead (`ReshapeBatchFromShape`). Parameters are unchanged.
    public static func prepared(_ backbone: Graph) throws -> Graph {
        var graph = backbone
        if try ReshapeBatchFromShape().run(on: &graph) > 0 {
            _ = try RemoveDeadNodes().run(on: &graph)
            try graph.sortTopologically()
            try ShapeInference.infer(&graph)
            try GraphVerifier.verify(graph)
        }
        return graph
    }

    /// Inference-mode features of `samples`, in batches of 64.
    static func features(_ network: TrainableGraph, _ samples: [[Float]], shape: [Int]) throws -> [Double] {
        var out: [Double] = []
        for start in stride(from: 0, to: samples.count, by: 64) {
            let chunk = samples[start..<min(start + 64, samples.count)]
            let y = try network.forward(batch(chunk, shape: shape), training: false)
            out += y.scalars.map(Double.init)
        }
        return out
    }

    /// Samples stacked into one `[n, shape…]` tensor.
    static func batch(_ samples: some Collection<[Float]>, shape: [Int]) -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(samples.count * shape.reduce(1, *))
        for s in samples { values += s }
        return Tensor(shape: [samples.count] + shape, scalars: values)
    }

    static func describe(_ blocks: [Block]) -> String {
        blocks.count == 1 ? "block \(blocks[0].name)" : "blocks \(blocks.first!.name)…\(blocks.last!.name) (\(blocks.count))"
    }
}

extension FineTuner {
    /// The weights fine-tuning trains in `blocks` (node names): every weight their nodes read,
    /// except BatchNorm's scale and shift under `.frozen`. Names as in `graph`.
    public static func trainedParameters(of graph: Graph, blocks: Set<String>, backbone: Graph, batchNorm: BatchNormMode) -> Set<String> {
        let nodes = Set(BlockFinder.blocks(in: backbone).filter { blocks.contains($0.name) }.flatMap(\.nodes))
        var names = Set<String>()
        for node in graph.nodes where nodes.contains(node.name) {
            if case .batchNorm = node.op, batchNorm == .frozen { continue }
            for input in node.inputs where graph.parameters[input]?.role == .weight { names.insert(input) }
        }
        return names
    }
}
