import Backprop
import Foundation
import GraphIR
import Surgery
import TensorCore

/// One fine-tuning stage: the unfrozen blocks (`TrainableGraph`) and the head trained
/// together on cached boundary activations, keeping the epoch with the best validation loss.
struct Stage {
    struct Outcome {
        var history: [EpochRecord]
        var bestEpoch: Int
        var stopReason: String?
        var seconds: Double
        /// The unfrozen blocks with the kept weights (and statistics).
        var trailing: Graph
        var head: DenseHead
        var interrupted: Bool
    }

    let network: TrainableGraph
    let start: Graph
    var head: DenseHead
    let options: FineTuneOptions
    let training: TrainingOptions
    /// Trainable backbone parameters in `network.trainableNames` order.
    let names: [String]
    /// The optimizer's Double copies: the head's parameters, then `names`' values.
    var masters: [[Double]]
    /// Per optimizer parameter (head first, then `names`): rate factor and weight decay.
    let lrScales: [Double]
    let decays: [Bool]
    var random: SeededRandom
    var dropoutRandom: SeededRandom?
    let trainableParameters: Int
    /// BatchNorm nodes' moving mean and variance names and epsilon, for the drift figure.
    let statistics: [(mean: String, variance: String, epsilon: Float)]

    init(trailing: Graph, boundary: BlockBoundary, head: DenseHead, options: FineTuneOptions, training: TrainingOptions,
         seed: UInt64) throws {
        // Block depth counted from the last block (0): the rate is lr · decay^depth.
        var depth: [String: Int] = [:]
        var trainable = Set<String>()
        let byName = Dictionary(trailing.nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (d, block) in boundary.blocks.reversed().enumerated() {
            for name in block.nodes {
                guard let node = byName[name] else { continue }
                if case .batchNorm = node.op, options.batchNorm == .frozen { continue }
                for (i, input) in node.inputs.enumerated() where trailing.parameters[input]?.role == .weight {
                    if case .batchNorm = node.op, i > 2 { continue }
                    trainable.insert(input)
                    depth[input] = max(depth[input] ?? 0, d)
                }
            }
        }
        guard !trainable.isEmpty else { throw FineTuneError.noTrainableWeights(blocks: boundary.blocks.map(\.name)) }
        let network = try TrainableGraph(trailing, trainable: trainable, batchNorm: options.batchNorm,
                                         momentum: Float(options.batchNormMomentum), seed: seed)
        self.network = network
        start = trailing
        self.head = head
        self.options = options
        self.training = training
        let names = network.trainableNames
        self.names = names
        let backbone = names.map { network.parameter($0).scalars.map(Double.init) }
        masters = head.parameters + backbone
        lrScales = head.parameters.map { _ in 1 } + names.map { pow(options.lrDecayPerBlock, Double(depth[$0] ?? 0)) }
        decays = head.decays + names.map { trailing.parameters[$0]!.tensor.rank >= 2 }
        random = SeededRandom(seed: seed ^ 0x4649_4E45_5455_4E45)
        dropoutRandom = head.dropout > 0 ? SeededRandom(seed: seed ^ 0x4452_4F50_4F55_5432) : nil
        trainableParameters = backbone.reduce(0) { $0 + $1.count }
        statistics = trailing.nodes.compactMap { node in
            guard case .batchNorm(let epsilon) = node.op, node.inputs.count == 5 else { return nil }
            return (node.inputs[3], node.inputs[4], epsilon)
        }
    }

    mutating func train(_ data: BoundaryActivations, trainLabels: [Int], validationLabels: [Int], classes: Int,
                        shouldStop: () -> Bool, epochDone: (EpochRecord) -> Void) throws -> Outcome {
        let began = Date()
        let shape = data.sampleShape
        let count = data.train.count
        let batch = max(1, min(training.batchSize, count))
        let stepsPerEpoch = (count + batch - 1) / batch
        let schedule = LearningRateSchedule(training.schedule, base: options.learningRate, totalSteps: stepsPerEpoch * options.epochs,
                                            stepEvery: training.stepEpochs * stepsPerEpoch, gamma: training.stepGamma)
        let classWeights = training.balancedClassWeights ? Loss.balancedClassWeights(labels: trainLabels, classes: classes) : nil
        // L-BFGS trains the linear head on cached features only; through the blocks it is Adam.
        var optimizer = Optimizer(training.optimizer == .lbfgs ? .adam : training.optimizer, momentum: training.momentum,
                                  weightDecay: training.weightDecay ?? 0)
        let hasValidation = !data.validation.isEmpty

        func monitoredLoss() throws -> (loss: Double, accuracy: Double?) {
            let samples = hasValidation ? data.validation : data.train.map { $0[0] }
            let labels = hasValidation ? validationLabels : trainLabels
            let f = try FineTuner.features(network, samples, shape: shape)
            let set = LabeledFeatures(values: f, width: f.count / max(samples.count, 1), labels: labels)
            return (Trainer.evaluateLoss(head, set, classes: classes), hasValidation ? Trainer.accuracy(head, set) : nil)
        }

        var best = (loss: try monitoredLoss().loss, trailing: start, head: head, epoch: 0)
        var history: [EpochRecord] = []
        var stale = 0, step = 0
        func outcome(_ reason: String?, interrupted: Bool = false) -> Outcome {
            Outcome(history: history, bestEpoch: best.epoch, stopReason: reason, seconds: Date().timeIntervalSince(began),
                    trailing: best.trailing, head: best.head, interrupted: interrupted)
        }
        var order = Array(0..<count)
        for epoch in 1...max(options.epochs, 1) {
            let epochStart = Date()
            random.shuffle(&order)
            var lossSum = 0.0, right = 0
            for b in 0..<stepsPerEpoch {
                let idx = order[b * batch..<min((b + 1) * batch, count)]
                let samples = idx.map { i in data.train[i].count == 1 ? data.train[i][0] : data.train[i][random.next(below: data.train[i].count)] }
                let labels = idx.map { trainLabels[$0] }
                let features = try network.forward(FineTuner.batch(samples, shape: shape), training: true)
                let width = features.shape.last ?? 0
                let x = features.scalars.map(Double.init)
                let weights = classWeights.map { cw in labels.map { cw[$0] } }
                let (loss, headGradients, dx) = head.lossAndGradients(x, rows: labels.count, labels: labels, weights: weights,
                                                                      smoothing: training.labelSmoothing, random: &dropoutRandom,
                                                                      inputGradient: true)
                guard loss.isFinite else {
                    return outcome("the fine-tuning loss became \(loss.isNaN ? "NaN" : "infinite") at epoch \(epoch), batch \(b + 1); "
                                   + "kept \(best.epoch == 0 ? "the weights before fine-tuning" : "epoch \(best.epoch)") — try a smaller --fine-tune-lr")
                }
                let probabilities = head.probabilities(x, rows: labels.count)
                let k = probabilities.count / labels.count
                for (r, label) in labels.enumerated() where Metrics.argmax(probabilities[r * k..<(r + 1) * k]) == label { right += 1 }
                lossSum += loss * Double(labels.count)

                let gradients = try network.backward(Tensor(shape: [labels.count, width], scalars: dx.map(Float.init)))
                // The optimizer keeps Double master weights (head first, then the blocks'); the
                // network gets them rounded to Float after every step.
                let h = head.parameters.count
                for j in 0..<h { masters[j] = head.parameters[j] }
                let all = headGradients + names.map { name in gradients[name]!.withUnsafeFloats { g in g.map(Double.init) } }
                optimizer.step(&masters, gradients: all, lr: schedule.rate(at: step), decays: decays, lrScales: lrScales)
                step += 1
                head.parameters = Array(masters[..<h])
                for (j, name) in names.enumerated() {
                    masters[h + j].withUnsafeBufferPointer { network.setParameter(name, to: $0) }
                }
                if shouldStop() {
                    return outcome("interrupted in fine-tuning epoch \(epoch); kept "
                                   + (best.epoch == 0 ? "the weights before fine-tuning" : "epoch \(best.epoch)"), interrupted: true)
                }
            }
            let monitored = try monitoredLoss()
            var record = EpochRecord(epoch: epoch, learningRate: schedule.rate(at: max(step - 1, 0)), trainLoss: lossSum / Double(count),
                                     trainAccuracy: Double(right) / Double(count),
                                     validationLoss: hasValidation ? monitored.loss : nil, validationAccuracy: monitored.accuracy,
                                     seconds: Date().timeIntervalSince(epochStart))
            let current = network.updatedGraph()
            if options.batchNorm == .train { record.batchNormDrift = drift(from: start, to: current) }
            history.append(record)
            epochDone(record)
            guard monitored.loss.isFinite else {
                return outcome("the validation loss became \(monitored.loss) in fine-tuning epoch \(epoch); kept epoch \(best.epoch)")
            }
            if monitored.loss < best.loss {
                best = (monitored.loss, current, head, epoch)
                stale = 0
            } else {
                stale += 1
                if let patience = training.patience, stale >= patience, epoch < options.epochs {
                    return outcome("early stop after fine-tuning epoch \(epoch): no better validation loss for \(patience) epochs; kept epoch \(best.epoch)")
                }
            }
        }
        return outcome(nil)
    }

    /// Mean over BatchNorm layers and channels of |moving mean − pretrained mean| / pretrained std.
    func drift(from before: Graph, to after: Graph) -> Double {
        guard !statistics.isEmpty else { return 0 }
        var total = 0.0
        for s in statistics {
            let m0 = before.parameters[s.mean]!.tensor.scalars, v0 = before.parameters[s.variance]!.tensor.scalars
            let m1 = after.parameters[s.mean]!.tensor.scalars
            var sum = 0.0
            for c in m0.indices { sum += Double(abs(m1[c] - m0[c])) / Double((v0[c] + s.epsilon).squareRoot()) }
            total += sum / Double(max(m0.count, 1))
        }
        return total / Double(statistics.count)
    }
}
