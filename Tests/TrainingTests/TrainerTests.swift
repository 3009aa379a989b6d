import Foundation
import Testing
@testable import Training

/// Two Gaussian blobs in 8 dimensions (or K blobs), seeded.
private func blobs(_ n: Int, classes: Int = 2, width: Int = 8, seed: UInt64, spread: Double = 1) -> LabeledFeatures {
    var r = SeededRandom(seed: seed)
    var values: [Double] = [], labels: [Int] = []
    for i in 0..<n {
        let c = i % classes
        labels.append(c)
        for d in 0..<width { values.append((d % classes == c ? 2.0 : 0) + spread * (2 * r.nextUnit() - 1)) }
    }
    return LabeledFeatures(values: values, width: width, labels: labels)
}

@Test func aSeedMakesRunsBitIdentical() {
    var o = TrainingOptions()
    o.optimizer = .adam; o.epochs = 5; o.hidden = 6; o.dropout = 0.3; o.seed = 42; o.batchSize = 7
    let a = Trainer.train(blobs(60, seed: 1), validation: blobs(20, seed: 2), classes: 2, options: o)
    let b = Trainer.train(blobs(60, seed: 1), validation: blobs(20, seed: 2), classes: 2, options: o)
    #expect(a.head == b.head)
    #expect(a.history.map(\.trainLoss) == b.history.map(\.trainLoss))
    o.seed = 43
    let c = Trainer.train(blobs(60, seed: 1), validation: blobs(20, seed: 2), classes: 2, options: o)
    #expect(a.head != c.head)
}

@Test(arguments: [OptimizerKind.lbfgs, .adam, .adamw, .sgd])
func everyOptimizerLearnsSeparableBlobs(optimizer: OptimizerKind) {
    var o = TrainingOptions()
    o.epochs = 30; o.optimizer = optimizer; o.learningRate = optimizer == .sgd ? 0.05 : 0.01
    o.schedule = .cosine; o.warmupEpochs = 2; o.weightDecay = 1e-4
    let r = Trainer.train(blobs(100, seed: 3), validation: blobs(40, seed: 4), classes: 2, options: o)
    #expect((r.history.last?.validationAccuracy ?? 0) >= 0.95, "\(optimizer)")
    #expect(r.history.last!.trainLoss < r.history.first!.trainLoss)
}

@Test func softmaxHeadLearnsThreeClasses() {
    var o = TrainingOptions()
    o.epochs = 40; o.learningRate = 0.02; o.labelSmoothing = 0.1; o.balancedClassWeights = true
    let r = Trainer.train(blobs(90, classes: 3, seed: 5), validation: blobs(30, classes: 3, seed: 6), classes: 3, options: o)
    #expect(r.head.units == 3 && r.head.output == .softmax)
    #expect((r.history[r.bestEpoch - 1].validationAccuracy ?? 0) >= 0.9)
}

@Test func earlyStoppingRestoresTheBestEpoch() {
    // Overlapping classes with a big rate: validation loss bottoms out early.
    var o = TrainingOptions()
    o.optimizer = .adam; o.epochs = 200; o.learningRate = 0.05; o.patience = 3; o.hidden = 16
    let r = Trainer.train(blobs(40, seed: 7, spread: 3), validation: blobs(40, seed: 8, spread: 3), classes: 2, options: o)
    #expect(r.stopReason?.contains("early stop") == true)
    #expect(r.history.count < 200)
    let best = r.history.compactMap(\.validationLoss).min()!
    #expect(r.history[r.bestEpoch - 1].validationLoss == best)
    #expect(abs(Trainer.evaluateLoss(r.head, blobs(40, seed: 8, spread: 3), classes: 2) - best) < 1e-12)
    #expect(r.history.count == r.bestEpoch + 3)
}

@Test func aDivergingLossStopsAndKeepsTheBestWeights() {
    var o = TrainingOptions()
    // Overlapping classes keep the gradient alive; a rate of 1e300 overflows the weights.
    o.epochs = 50; o.optimizer = .sgd; o.learningRate = 1e300; o.hidden = 8
    let r = Trainer.train(blobs(40, seed: 9, spread: 3), validation: blobs(20, seed: 10, spread: 3), classes: 2, options: o)
    #expect(r.diverged)
    #expect(r.stopReason?.contains("smaller --lr") == true)
    #expect(r.head.parameters.allSatisfy { $0.allSatisfy(\.isFinite) })
}

@Test func stratifiedSplitKeepsEachClassShare() {
    let labels = Array(repeating: 0, count: 50) + Array(repeating: 1, count: 30)
    let s = stratifiedSplit(labels: labels, fraction: 0.2, seed: 1)
    #expect(s.validation.filter { labels[$0] == 0 }.count == 10)
    #expect(s.validation.filter { labels[$0] == 1 }.count == 6)
    #expect(Set(s.train).isDisjoint(with: s.validation) && s.train.count + s.validation.count == 80)
    #expect(stratifiedSplit(labels: labels, fraction: 0.2, seed: 1) == s)
    #expect(stratifiedSplit(labels: labels, fraction: 0.2, seed: 2) != s)
}

@Test func digestIsStableAndSensitive() {
    #expect(Digest.of("abc") == Digest.of("abc"))
    #expect(Digest.of("abc") != Digest.of("abd"))
    #expect(Digest.of("") .count == 16)
    var a = Digest(), b = Digest()
    a.combine("ab"); a.combine("c")
    b.combine("a"); b.combine("bc")
    #expect(a.value != b.value)
}
