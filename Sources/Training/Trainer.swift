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
    /// Passes over the training rows; with `.lbfgs`, the most iterations (each one an
    /// "epoch"). nil: `maxEpochs`' default.
    public var epochs: Int? = nil
    public var batchSize = 32
    public var learningRate = 1e-2
    /// `.lbfgs` trains a linear head (no `hidden`, no `dropout`) on the whole training set;
    /// the others are mini-batch optimizers for any head.
    public var optimizer = OptimizerKind.lbfgs
    public var momentum = 0.9
    /// The L2 strength λ (the penalty `(λ/2) ‖W‖²` on the weights, not the biases; decoupled
    /// decay for `.adamw`). nil: `1 / n_train` with `.lbfgs` (scikit-learn's `C = 1`), 0 otherwise.
    public var weightDecay: Double? = nil
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
    /// With `.lbfgs`: stop once no component of the objective's gradient (with respect to the
    /// exported weights and biases) exceeds this. nil: `Trainer.gradientTolerance`.
    public var tolerance: Double? = nil

    public init() {}

    /// `epochs`, else 100 iterations with `.lbfgs` (it stops earlier once converged: 14–64 on
    /// the digits benchmarks) and 20 epochs otherwise.
    public var maxEpochs: Int { max(epochs ?? (optimizer == .lbfgs ? 100 : 20), 1) }

    /// True when the head is one Dense layer (what `.lbfgs` trains).
    public var linearHead: Bool { hidden == nil && dropout == 0 }

    /// The L2 strength a run on `trainCount` training images uses.
    public func resolvedWeightDecay(trainCount: Int) -> Double {
        weightDecay ?? (optimizer == .lbfgs ? 1 / Double(max(trainCount, 1)) : 0)
    }
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
    /// Why training ended before `epochs`, if it did (early stopping, a NaN loss, L-BFGS converged).
    public var stopReason: String?
    /// True when the loss became NaN or infinite.
    public var diverged: Bool
    /// Set when `shouldStop` stopped training: the state to resume from.
    public var interruptedState: TrainingState? = nil
    /// True when L-BFGS stopped because it converged (the expected end, not a warning).
    public var converged = false
}

/// Trains a `DenseHead` on cached features: full-batch L-BFGS for a linear head
/// (`.lbfgs`), else mini-batches with a first-order `Optimizer`.
public enum Trainer {
    /// With `.lbfgs`, training stops once no component of the objective's gradient (with
    /// respect to the exported weights and biases) exceeds this (scikit-learn's default `tol`
    /// for the same objective).
    public static let gradientTolerance = 1e-4

    /// `classes` ≥ 2. `progress` is called after every epoch, `checkpoint` after every epoch
    /// with the state to continue from. `resume` continues a run from such a state (the same
    /// data and options). `shouldStop` is asked after every mini-batch (with `.lbfgs`, after
    /// every iteration); when it says yes, training stops there and the result's
    /// `interruptedState` is the state to resume from. `.lbfgs` needs a linear head
    /// (`options.linearHead`).
    public static func train(_ train: LabeledFeatures, validation: LabeledFeatures?, classes: Int,
                             options o: TrainingOptions, resume: TrainingState? = nil,
                             shouldStop: () -> Bool = { false },
                             checkpoint: (TrainingState) -> Void = { _ in },
                             progress: (EpochRecord) -> Void = { _ in }) -> TrainingResult {
        if o.optimizer == .lbfgs {
            precondition(o.linearHead, "L-BFGS trains a linear head: no hidden layer, no dropout")
            return trainLinearHead(train, validation: validation, classes: classes, options: o, resume: resume,
                                   shouldStop: shouldStop, checkpoint: checkpoint, progress: progress)
        }
        let sigmoid = classes == 2 && !o.softmax
        let classWeights = o.balancedClassWeights ? Loss.balancedClassWeights(labels: train.labels, classes: classes) : nil
        let batch = max(1, min(o.batchSize, train.count))
        let stepsPerEpoch = (train.count + batch - 1) / batch
        let schedule = LearningRateSchedule(o.schedule, base: o.learningRate, totalSteps: stepsPerEpoch * o.maxEpochs,
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
            let optimizer = Optimizer(o.optimizer, momentum: o.momentum, weightDecay: o.resolvedWeightDecay(trainCount: train.count))
            s = TrainingState(head: head, optimizer: optimizer,
                              shuffleRandom: SeededRandom(seed: o.seed ^ 0x5348_5546_464C_4531),
                              dropoutRandom: o.dropout > 0 ? SeededRandom(seed: o.seed ^ 0x4452_4F50_4F55_5431) : nil,
                              order: Array(0..<train.count), bestLoss: bestLoss)
            if train.views > 0 {
                s.viewRandom = SeededRandom(seed: o.seed ^ 0x5649_4557_5331_0000)
                s.viewOf = [Int](repeating: 0, count: train.count)
            }
        }
        while s.epochsDone < o.maxEpochs {
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
                    return result(s, "the loss became \(loss.isNaN ? "NaN" : "infinite") at epoch \(epoch), batch \(b + 1) "
                                  + "(learning rate \(schedule.rate(at: s.step))); kept \(kept) — try a smaller --lr", diverged: true)
                }
                s.partialLossSum += loss * Double(y.count)
                s.optimizer!.step(&s.head.parameters, gradients: grads, lr: schedule.rate(at: s.step), decays: s.head.decays)
                s.step += 1
                s.batchesDone += 1
                if s.batchesDone < stepsPerEpoch, shouldStop() {
                    return result(s, "interrupted in epoch \(epoch) after batch \(s.batchesDone) of \(stepsPerEpoch)", interrupted: true)
                }
            }
            let record = EpochRecord(epoch: epoch, learningRate: schedule.rate(at: max(s.step - 1, 0)),
                                     trainLoss: s.partialLossSum / Double(train.count), trainAccuracy: accuracy(s.head, train),
                                     validationLoss: nil, validationAccuracy: nil, seconds: 0)
            s.batchesDone = 0
            s.partialLossSum = 0
            if let stop = finishEpoch(record, started: start, state: &s, train: train, validation: validation, classes: classes,
                                      options: o, shouldStop: shouldStop, checkpoint: checkpoint, progress: progress) {
                return stop
            }
        }
        return result(s, nil)
    }

    /// `.lbfgs`: one L-BFGS iteration per epoch on `LinearHeadProblem`, from zero weights.
    /// The epoch's record has the data loss (no penalty) and accuracy at the new point and
    /// `learningRate` 0. Stops early when the gradient is below `options.tolerance` or no
    /// step decreases the objective. Every iteration lowers the objective, so the weights
    /// kept are the last ones — except with `patience`, which keeps those of the lowest
    /// validation loss and stops as for the other optimizers.
    static func trainLinearHead(_ train: LabeledFeatures, validation: LabeledFeatures?, classes: Int,
                                options o: TrainingOptions, resume: TrainingState?,
                                shouldStop: () -> Bool, checkpoint: (TrainingState) -> Void,
                                progress: (EpochRecord) -> Void) -> TrainingResult {
        let sigmoid = classes == 2 && !o.softmax
        let classWeights = o.balancedClassWeights ? Loss.balancedClassWeights(labels: train.labels, classes: classes) : nil
        let problem = LinearHeadProblem(train, units: sigmoid ? 1 : classes, output: sigmoid ? .sigmoid : .softmax,
                                        lambda: o.resolvedWeightDecay(trainCount: train.count), classWeights: classWeights,
                                        smoothing: o.labelSmoothing)
        var s: TrainingState
        if let resume {
            precondition(resume.solver != nil, "not the state of an L-BFGS run")
            s = resume
        } else {
            let start = [Double](repeating: 0, count: problem.parameterCount)
            let first = problem.evaluate(start)
            let head = problem.head(at: start)
            guard first.value.isFinite else {
                return TrainingResult(head: head, history: [], bestEpoch: 0,
                                      stopReason: "the loss is \(first.value) at zero weights: the features hold NaN or infinite values",
                                      diverged: true)
            }
            // What picks the weights kept: the objective, or with --patience the validation loss.
            var bestLoss = first.value
            if o.patience != nil {
                bestLoss = validation.map { $0.count > 0 ? evaluateLoss(head, $0, classes: classes) : .infinity } ?? .infinity
            }
            s = TrainingState(head: head, optimizer: nil, shuffleRandom: SeededRandom(seed: o.seed ^ 0x5348_5546_464C_4531),
                              dropoutRandom: nil, order: [], bestLoss: bestLoss)
            s.solver = LBFGS(point: start, value: first.value, gradient: first.gradient)
        }
        while s.epochsDone < o.maxEpochs {
            let epoch = s.epochsDone + 1
            let started = Date()
            var solver = s.solver!
            var last: (loss: Double, logits: [Double], largestPlain: Double) = (0, [], 0)
            let moved = solver.iterate { theta in
                let e = problem.evaluate(theta)
                last = (e.loss, e.logits, e.largestPlain)
                return (e.value, e.gradient)
            }
            guard moved else {
                return result(s, "converged after \(s.epochsDone) iterations: no step lowers the loss further", converged: true)
            }
            s.solver = solver
            s.head = problem.head(at: solver.point)
            // Without views the rows L-BFGS evaluated are the training rows: their logits give the accuracy.
            let trainAccuracy = problem.plainRowsOnly
                ? accuracy(logits: last.logits, units: problem.units, output: problem.output, labels: train.labels)
                : accuracy(s.head, train)
            let record = EpochRecord(epoch: epoch, learningRate: 0, trainLoss: last.loss, trainAccuracy: trainAccuracy,
                                     validationLoss: nil, validationAccuracy: nil, seconds: 0)
            // The weights kept are the minimum of the regularised loss — the last iteration —
            // unless --patience asks to stop on the validation loss.
            if let stop = finishEpoch(record, started: started, state: &s, train: train, validation: validation, classes: classes,
                                      options: o, objective: o.patience == nil ? solver.value : nil,
                                      shouldStop: shouldStop, checkpoint: checkpoint, progress: progress) {
                return stop
            }
            let largest = last.largestPlain, tolerance = o.tolerance ?? gradientTolerance
            if largest <= tolerance {
                return result(s, String(format: "converged after %d iterations (largest gradient component %.1e ≤ %.0e)",
                                        epoch, largest, tolerance)
                              + (s.bestEpoch == epoch ? "" : "; kept the weights of epoch \(s.bestEpoch)"), converged: true)
            }
        }
        return result(s, nil)
    }

    private static func result(_ s: TrainingState, _ reason: String?, diverged: Bool = false, interrupted: Bool = false,
                               converged: Bool = false) -> TrainingResult {
        TrainingResult(head: s.best, history: s.history, bestEpoch: s.bestEpoch, stopReason: reason, diverged: diverged,
                       interruptedState: interrupted ? s : nil, converged: converged)
    }

    /// Completes `record` (validation numbers, time), appends it, keeps the best weights and
    /// applies `patience`; then checkpoints and asks `shouldStop` unless it was the last epoch.
    /// Returns the result when training ends here. The best weights are those with the lowest
    /// `objective` when one is given, else the lowest validation loss (without validation
    /// rows, training loss); a non-finite validation loss ends training either way.
    private static func finishEpoch(_ record: EpochRecord, started: Date, state s: inout TrainingState, train: LabeledFeatures,
                                    validation: LabeledFeatures?, classes: Int, options o: TrainingOptions, objective: Double? = nil,
                                    shouldStop: () -> Bool, checkpoint: (TrainingState) -> Void,
                                    progress: (EpochRecord) -> Void) -> TrainingResult? {
        var record = record
        let epoch = record.epoch
        let monitored: Double
        if let validation, validation.count > 0 {
            (record.validationLoss, record.validationAccuracy) = lossAndAccuracy(s.head, validation)
            monitored = record.validationLoss!
        } else {
            monitored = objective == nil ? evaluateLoss(s.head, train, classes: classes) : record.trainLoss
        }
        record.seconds = Date().timeIntervalSince(started)
        s.history.append(record)
        s.epochsDone = epoch
        progress(record)
        if !monitored.isFinite {
            return result(s, "the validation loss became \(monitored) at epoch \(epoch); kept the weights of epoch \(s.bestEpoch) — try a smaller --lr",
                          diverged: true)
        }
        let score = objective ?? monitored
        if score < s.bestLoss || s.bestEpoch == 0 && score <= s.bestLoss {
            s.bestLoss = score; s.best = s.head; s.bestEpoch = epoch; s.stale = 0
        } else {
            s.stale += 1
            if let patience = o.patience, s.stale >= patience, epoch < o.maxEpochs {
                return result(s, "early stop after epoch \(epoch): no better validation loss for \(patience) epochs; restored epoch \(s.bestEpoch)")
            }
        }
        if epoch < o.maxEpochs {
            checkpoint(s)
            if shouldStop() { return result(s, "interrupted after epoch \(epoch)", interrupted: true) }
        }
        return nil
    }

    /// Mean loss without smoothing, class weights or dropout.
    public static func evaluateLoss(_ head: DenseHead, _ data: LabeledFeatures, classes: Int) -> Double {
        loss(logits: head.logits(data.values, rows: data.count), head: head, labels: data.labels)
    }

    /// `evaluateLoss` and `accuracy` from one forward pass.
    static func lossAndAccuracy(_ head: DenseHead, _ data: LabeledFeatures) -> (loss: Double, accuracy: Double) {
        let z = head.logits(data.values, rows: data.count)
        return (loss(logits: z, head: head, labels: data.labels),
                accuracy(logits: z, units: head.units, output: head.output, labels: data.labels))
    }

    private static func loss(logits z: [Double], head: DenseHead, labels: [Int]) -> Double {
        head.output == .sigmoid
            ? Loss.binaryCrossEntropy(logits: z, labels: labels).loss
            : Loss.softmaxCrossEntropy(logits: z, classes: head.units, labels: labels).loss
    }

    /// `accuracy(head, data)` from the head's logits `[n, units]` on `data`.
    static func accuracy(logits z: [Double], units: Int, output: DenseHead.Output, labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        let p = output == .sigmoid ? z.flatMap { let p = HeadMath.sigmoid($0); return [1 - p, p] } : HeadMath.softmax(z, classes: units)
        let k = p.count / labels.count
        var right = 0
        for r in labels.indices where Metrics.argmax(p[r * k..<(r + 1) * k]) == labels[r] { right += 1 }
        return Double(right) / Double(labels.count)
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
