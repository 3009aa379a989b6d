import Foundation
import ImageData

/// Labelled feature vectors: `values` is `[count, width]` row-major, one plain row per
/// sample. With `views > 0` each sample also has `views` augmented rows in `augmented`,
/// `[count, views, width]` row-major; `Trainer.train` then trains each epoch on one row per
/// sample drawn among its `views + 1` (the plain one is view 0), and evaluates on `values`.
public struct LabeledFeatures: Sendable {
    public var values: [Double]
    public var width: Int
    public var labels: [Int]
    /// Augmented rows per sample (0: none).
    public var views: Int
    /// `[count, views, width]`; empty when `views == 0`.
    public var augmented: [Double]

    public init(values: [Double], width: Int, labels: [Int]) {
        self.init(values: values, width: width, labels: labels, augmented: [], views: 0)
    }

    public init(values: [Double], width: Int, labels: [Int], augmented: [Double], views: Int) {
        precondition(values.count == width * labels.count)
        precondition(views >= 0 && augmented.count == views * width * labels.count,
                     "\(augmented.count) augmented values for \(labels.count) samples × \(views) views × \(width)")
        self.values = values
        self.width = width
        self.labels = labels
        self.views = views
        self.augmented = augmented
    }

    public var count: Int { labels.count }

    /// The plain rows at `indices`, in that order.
    public func rows(_ indices: some Collection<Int>) -> (values: [Double], labels: [Int]) {
        var v = [Double]()
        v.reserveCapacity(indices.count * width)
        for i in indices { v.append(contentsOf: values[i * width..<(i + 1) * width]) }
        return (v, indices.map { labels[$0] })
    }

    /// The rows at `indices`, each in its view (`views[k]` for `indices[k]`: 0 plain, 1…`self.views` augmented).
    public func rows(_ indices: some Collection<Int>, views chosen: some Collection<Int>) -> (values: [Double], labels: [Int]) {
        precondition(indices.count == chosen.count)
        var v = [Double]()
        v.reserveCapacity(indices.count * width)
        for (i, view) in zip(indices, chosen) {
            if view == 0 {
                v.append(contentsOf: values[i * width..<(i + 1) * width])
            } else {
                let start = (i * views + view - 1) * width
                v.append(contentsOf: augmented[start..<start + width])
            }
        }
        return (v, indices.map { labels[$0] })
    }
}

/// How to train a head.
public struct TrainingOptions: Sendable, Codable, Equatable {
    public var epochs = 20
    public var batchSize = 32
    public var learningRate = 1e-2
    public var optimizer = OptimizerKind.adam
    public var momentum = 0.9
    public var weightDecay = 0.0
    public var schedule = LearningRateSchedule.Kind.constant
    public var warmupEpochs = 0
    /// With `.step`: multiply the rate by `stepGamma` every `stepEpochs` epochs.
    public var stepEpochs = 10
    public var stepGamma = 0.1
    public var labelSmoothing = 0.0
    /// Balanced class weights (`n / (K · n_c)`) in the loss.
    public var balancedClassWeights = false
    /// Stop after this many epochs without a better validation loss (nil: run every epoch).
    public var patience: Int?
    public var hidden: Int?
    public var dropout = 0.0
    /// For two classes: a 2-way softmax instead of one sigmoid unit.
    public var softmax = false
    public var seed: UInt64 = 0
    /// Recorded with the run (report, checkpoint): the augmentation and the number of
    /// augmented views the training features hold. The views themselves come with `LabeledFeatures`.
    public var augmentation: Augmentation? = nil
    public var augmentViews: Int? = nil

    public init() {}
}

/// One epoch's numbers; validation ones are nil without a validation set.
public struct EpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var seconds: Double
    /// Fine-tuning with `--bn train`: how far the moving means moved from the pretrained ones,
    /// in pretrained standard deviations (mean over channels and layers).
    public var batchNormDrift: Double? = nil
}

public struct TrainingResult: Sendable {
    /// The weights of the best epoch (lowest validation loss, else training loss).
    public var head: DenseHead
    public var history: [EpochRecord]
    /// 1-based epoch whose weights `head` holds (0: the initial weights).
    public var bestEpoch: Int
    /// Why training ended before `epochs`, if it did (early stopping, a NaN loss).
    public var stopReason: String?
    /// True when the loss became NaN or infinite.
    public var diverged: Bool
    /// Set when `shouldStop` stopped training: the state to resume from.
    public var interruptedState: TrainingState? = nil
}

/// Trains a `DenseHead` on cached features with mini-batches.
public enum Trainer {
    /// `classes` ≥ 2. `progress` is called after every epoch, `checkpoint` after every epoch
    /// with the state to continue from. `resume` continues a run from such a state (the same
    /// data and options). `shouldStop` is asked after every mini-batch; when it says yes,
    /// training stops there and the result's `interruptedState` is the state to resume from.
    public static func train(_ train: LabeledFeatures, validation: LabeledFeatures?, classes: Int,
                             options o: TrainingOptions, resume: TrainingState? = nil,
                             shouldStop: () -> Bool = { false },
                             checkpoint: (TrainingState) -> Void = { _ in },
                             progress: (EpochRecord) -> Void = { _ in }) -> TrainingResult {
        let sigmoid = classes == 2 && !o.softmax
        let classWeights = o.balancedClassWeights ? Loss.balancedClassWeights(labels: train.labels, classes: classes) : nil
        let batch = max(1, min(o.batchSize, train.count))
        let stepsPerEpoch = (train.count + batch - 1) / batch
        let schedule = LearningRateSchedule(o.schedule, base: o.learningRate, totalSteps: stepsPerEpoch * o.epochs,
                                            warmupSteps: o.warmupEpochs * stepsPerEpoch, stepEvery: o.stepEpochs * stepsPerEpoch,
                                            gamma: o.stepGamma)
        var s: TrainingState
        if let resume {
            s = resume
        } else {
            let head = DenseHead.initial(features: train.width, hidden: o.hidden, units: sigmoid ? 1 : classes,
                                         output: sigmoid ? .sigmoid : .softmax, dropout: o.dropout, seed: o.seed)
            var bestLoss = Double.infinity
            if let validation, validation.count > 0 { bestLoss = evaluateLoss(head, validation, classes: classes) }
            // Separate streams, so that turning dropout on does not change the shuffles.
            s = TrainingState(head: head, optimizer: Optimizer(o.optimizer, momentum: o.momentum, weightDecay: o.weightDecay),
                              shuffleRandom: SeededRandom(seed: o.seed ^ 0x5348_5546_464C_4531),
                              dropoutRandom: o.dropout > 0 ? SeededRandom(seed: o.seed ^ 0x4452_4F50_4F55_5431) : nil,
                              order: Array(0..<train.count), bestLoss: bestLoss)
            if train.views > 0 {
                s.viewRandom = SeededRandom(seed: o.seed ^ 0x5649_4557_5331_0000)
                s.viewOf = [Int](repeating: 0, count: train.count)
            }
        }
        func result(_ reason: String?, diverged: Bool = false, interrupted: Bool = false) -> TrainingResult {
            TrainingResult(head: s.best, history: s.history, bestEpoch: s.bestEpoch, stopReason: reason, diverged: diverged,
                           interruptedState: interrupted ? s : nil)
        }
        while s.epochsDone < max(o.epochs, 1) {
            let epoch = s.epochsDone + 1
            let start = Date()
            if s.batchesDone == 0 {
                s.shuffleRandom.shuffle(&s.order)
                s.partialLossSum = 0
                // Each sample's view for this epoch, from its own stream: without views the
                // run draws exactly what it drew before views existed.
                if train.views > 0, var random = s.viewRandom {
                    s.viewOf = (0..<train.count).map { _ in random.next(below: train.views + 1) }
                    s.viewRandom = random
                }
            }
            while s.batchesDone < stepsPerEpoch {
                let b = s.batchesDone
                let idx = s.order[b * batch..<min((b + 1) * batch, s.order.count)]
                let (x, y) = train.views > 0 ? train.rows(idx, views: idx.map { s.viewOf?[$0] ?? 0 }) : train.rows(idx)
                let w = classWeights.map { cw in y.map { cw[$0] } }
                let (loss, grads) = s.head.lossAndGradients(x, rows: y.count, labels: y, weights: w,
                                                            smoothing: o.labelSmoothing, random: &s.dropoutRandom)
                guard loss.isFinite, grads.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                    let kept = s.bestEpoch == 0 ? "the initial weights" : "the weights of epoch \(s.bestEpoch)"
                    return result("the loss became \(loss.isNaN ? "NaN" : "infinite") at epoch \(epoch), batch \(b + 1) "
                                  + "(learning rate \(schedule.rate(at: s.step))); kept \(kept) — try a smaller --lr", diverged: true)
                }
                s.partialLossSum += loss * Double(y.count)
                s.optimizer.step(&s.head.parameters, gradients: grads, lr: schedule.rate(at: s.step), decays: s.head.decays)
                s.step += 1
                s.batchesDone += 1
                if s.batchesDone < stepsPerEpoch, shouldStop() {
                    return result("interrupted in epoch \(epoch) after batch \(s.batchesDone) of \(stepsPerEpoch)", interrupted: true)
                }
            }
            let trainAccuracy = accuracy(s.head, train)
            var record = EpochRecord(epoch: epoch, learningRate: schedule.rate(at: max(s.step - 1, 0)),
                                     trainLoss: s.partialLossSum / Double(train.count), trainAccuracy: trainAccuracy,
                                     validationLoss: nil, validationAccuracy: nil, seconds: 0)
            let monitored: Double
            if let validation, validation.count > 0 {
                record.validationLoss = evaluateLoss(s.head, validation, classes: classes)
                record.validationAccuracy = accuracy(s.head, validation)
                monitored = record.validationLoss!
            } else {
                monitored = evaluateLoss(s.head, train, classes: classes)
            }
            record.seconds = Date().timeIntervalSince(start)
            s.history.append(record)
            s.epochsDone = epoch
            s.batchesDone = 0
            s.partialLossSum = 0
            progress(record)
            if !monitored.isFinite {
                return result("the validation loss became \(monitored) at epoch \(epoch); kept the weights of epoch \(s.bestEpoch) — try a smaller --lr",
                              diverged: true)
            }
            if monitored < s.bestLoss || s.bestEpoch == 0 && monitored <= s.bestLoss {
                s.bestLoss = monitored; s.best = s.head; s.bestEpoch = epoch; s.stale = 0
            } else {
                s.stale += 1
                if let patience = o.patience, s.stale >= patience, epoch < o.epochs {
                    return result("early stop after epoch \(epoch): no better validation loss for \(patience) epochs; restored epoch \(s.bestEpoch)")
                }
            }
            if epoch < o.epochs {
                checkpoint(s)
                if shouldStop() { return result("interrupted after epoch \(epoch)", interrupted: true) }
            }
        }
        return result(nil)
    }

    /// Mean loss without smoothing, class weights or dropout.
    public static func evaluateLoss(_ head: DenseHead, _ data: LabeledFeatures, classes: Int) -> Double {
        let z = head.logits(data.values, rows: data.count)
        return head.output == .sigmoid
            ? Loss.binaryCrossEntropy(logits: z, labels: data.labels).loss
            : Loss.softmaxCrossEntropy(logits: z, classes: head.units, labels: data.labels).loss
    }

    /// Argmax accuracy (a sigmoid head: p ≥ 0.5).
    public static func accuracy(_ head: DenseHead, _ data: LabeledFeatures) -> Double {
        guard data.count > 0 else { return 0 }
        let p = head.probabilities(data.values, rows: data.count)
        let k = p.count / data.count
        var right = 0
        for r in 0..<data.count where Metrics.argmax(p[r * k..<(r + 1) * k]) == data.labels[r] { right += 1 }
        return Double(right) / Double(data.count)
    }
}
