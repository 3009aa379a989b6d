import Backprop
import Foundation
import GraphIR
import ImageData
import Training

/// `graft train`'s fine-tuning options and the glue between `FineTuner` and the feature cache.
struct FineTuneFlags {
    var blocks: Int?
    var stages: String?
    var epochs: Int
    var lr: Double
    var lrDecayPerBlock: Double
    var bn: String
    var bnMomentum: Double

    /// The options, or nil when no fine-tuning was asked for.
    func options() throws -> FineTuneOptions? {
        var stageList: [Int]
        if let stages {
            let parts = stages.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw CLIError.invalidOption("--fine-tune-stages takes block counts such as 1,2,4 (each at least 1)")
            }
            stageList = parts.map { $0! }
            guard zip(stageList, stageList.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw CLIError.invalidOption("--fine-tune-stages must grow, e.g. 1,2,4: each stage unfreezes more blocks")
            }
            if let blocks, blocks != stageList.last {
                throw CLIError.invalidOption("--fine-tune-blocks \(blocks) disagrees with the last of --fine-tune-stages \(stages)")
            }
        } else if let blocks {
            guard blocks >= 1 else { throw CLIError.invalidOption("--fine-tune-blocks must be at least 1") }
            stageList = [blocks]
        } else {
            return nil
        }
        guard epochs >= 1 else { throw CLIError.invalidOption("--fine-tune-epochs must be at least 1") }
        guard lr > 0, lr.isFinite else { throw CLIError.invalidOption("--fine-tune-lr must be positive") }
        guard lrDecayPerBlock > 0, lrDecayPerBlock <= 1 else { throw CLIError.invalidOption("--lr-decay-per-block must be in (0, 1]") }
        guard let mode = BatchNormMode(rawValue: bn) else { throw CLIError.invalidOption("--bn takes frozen, affine or train") }
        guard (0..<1).contains(bnMomentum) else { throw CLIError.invalidOption("--bn-momentum must be in [0, 1)") }
        var o = FineTuneOptions(stages: stageList)
        o.epochs = epochs
        o.learningRate = lr
        o.lrDecayPerBlock = lrDecayPerBlock
        o.batchNorm = mode
        o.batchNormMomentum = bnMomentum
        return o
    }
}

/// Boundary activations for the training images (with their augmented views) and the
/// validation images, through the feature cache.
struct BoundaryActivationSource {
    var input: ModelInput
    var trainURLs: [URL]
    var validationURLs: [URL]
    var cacheDirectory: URL?
    var batchSize: Int
    var views: Int
    var augmentation: Augmentation
    var seed: UInt64
    var decoder: ImageDecoder

    func compute(_ boundary: BlockBoundary, prefix: Graph) throws -> ComputedActivations {
        let extractor = FeatureExtractor(backbone: prefix, inputName: input.name, preprocessing: input.preprocessing,
                                         channelsLast: input.channelsLast, batchSize: batchSize, decoder: decoder)
        let label = "activations at \(boundary.value)"
        let train = try extractor.extract(trainURLs, cacheDirectory: cacheDirectory, progressLabel: label + (views > 0 ? " (\(views + 1) views)" : ""),
                                          views: views, augmentation: augmentation, seed: seed)
        let validation = try extractor.extract(validationURLs, cacheDirectory: cacheDirectory, progressLabel: validationURLs.isEmpty ? nil : label)
        // The images were read once already; one failing now changed under us.
        if let failure = train.failures.first ?? validation.failures.first {
            throw TrainingError.unreadableImage(path: failure.path, reason: failure.reason)
        }
        let trainRows = train.features.indices.map { i in [train.features[i]!] + (views > 0 ? train.views[i]! : []) }
        let activations = BoundaryActivations(sampleShape: train.sampleShape, train: trainRows,
                                              validation: validation.features.map { $0! })
        return ComputedActivations(activations: activations,
                                   fromCache: train.fromCache + train.viewsFromCache + validation.fromCache,
                                   computed: train.computed + train.viewsComputed + validation.computed,
                                   seconds: train.seconds + validation.seconds)
    }
}
