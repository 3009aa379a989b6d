import Foundation
import Testing
@testable import Training

/// Hand-derived values.

@Test func binaryCrossEntropyByHand() {
    // z = 0: ℓ = log 2 for either label; ∂ℓ/∂z = 0.5 − y, divided by n = 2.
    let r = Loss.binaryCrossEntropy(logits: [0, 0], labels: [0, 1])
    #expect(abs(r.loss - log(2)) < 1e-12)
    #expect(r.gradient == [0.25, -0.25])
    // Smoothing 0.2 moves targets to 0.1 / 0.9; a huge logit stays finite.
    let s = Loss.binaryCrossEntropy(logits: [1000], labels: [1], smoothing: 0.2)
    #expect(abs(s.loss - 100) < 1e-9)  // max(z,0) − z·0.9 = 100
    #expect(abs(s.gradient[0] - 0.1) < 1e-12)
}

@Test func softmaxCrossEntropyByHand() {
    // Equal logits over 4 classes: ℓ = log 4; gradient 1/4 − onehot.
    let r = Loss.softmaxCrossEntropy(logits: [0, 0, 0, 0], classes: 4, labels: [2])
    #expect(abs(r.loss - log(4)) < 1e-12)
    #expect(r.gradient == [0.25, 0.25, -0.75, 0.25])
    // Class weight 3 scales loss and gradient.
    let w = Loss.softmaxCrossEntropy(logits: [0, 0, 0, 0], classes: 4, labels: [2], weights: [3])
    #expect(abs(w.loss - 3 * log(4)) < 1e-12)
}

@Test func balancedClassWeightsAreScikitLearns() {
    // n = 4, K = 2, counts 3 and 1: 4/(2·3), 4/(2·1).
    #expect(Loss.balancedClassWeights(labels: [0, 0, 0, 1], classes: 2) == [4.0 / 6, 2])
}

@Test func sgdMomentumByHand() {
    var o = Optimizer(.sgd, momentum: 0.5)
    var p: [[Double]] = [[1]]
    o.step(&p, gradients: [[2]], lr: 0.1, decays: [false])  // v = 2, p = 0.8
    #expect(abs(p[0][0] - 0.8) < 1e-15)
    o.step(&p, gradients: [[2]], lr: 0.1, decays: [false])  // v = 3, p = 0.5
    #expect(abs(p[0][0] - 0.5) < 1e-15)
}

@Test func adamFirstStepIsLearningRateTimesSign() {
    // After bias correction m̂ = g, v̂ = g², so the step is lr · g / (|g| + ε).
    var o = Optimizer(.adam)
    var p: [[Double]] = [[1, 1]]
    o.step(&p, gradients: [[4, -0.5]], lr: 0.01, decays: [true])
    #expect(abs(p[0][0] - (1 - 0.01 * 4 / (4 + 1e-7))) < 1e-15)
    #expect(abs(p[0][1] - (1 + 0.01 * 0.5 / (0.5 + 1e-7))) < 1e-15)
}

@Test func adamwDecaysTheWeightNotTheGradient() {
    var a = Optimizer(.adamw, weightDecay: 0.1)
    var p: [[Double]] = [[2], [2]]
    a.step(&p, gradients: [[0], [0]], lr: 0.5, decays: [true, false])
    // Zero gradient: only the decoupled decay acts, on the weight only: 2 − 0.5·0.1·2.
    #expect(p[0][0] == 1.9)
    #expect(p[1][0] == 2)
}

@Test func schedulesByHand() {
    let cosine = LearningRateSchedule(.cosine, base: 1, totalSteps: 12, warmupSteps: 2)
    #expect(cosine.rate(at: 0) == 0.5)
    #expect(cosine.rate(at: 1) == 1)
    #expect(cosine.rate(at: 2) == 1)
    #expect(abs(cosine.rate(at: 7) - 0.5) < 1e-12)  // halfway through the 10 decay steps
    let step = LearningRateSchedule(.step, base: 1, totalSteps: 100, stepEvery: 10, gamma: 0.1)
    #expect(step.rate(at: 9) == 1)
    #expect(abs(step.rate(at: 10) - 0.1) < 1e-15)
    #expect(abs(step.rate(at: 25) - 0.01) < 1e-15)
}

@Test func metricsByHand() {
    // Scores of the positive class; labels; threshold 0.5.
    let scores = [0.9, 0.8, 0.4, 0.3, 0.6, 0.1]
    let labels = [1, 1, 1, 0, 0, 0]
    let p = scores.flatMap { [1 - $0, $0] }
    let m = Metrics.compute(probabilities: p, labels: labels, classNames: ["neg", "pos"])
    // Predicted: 1 1 0 0 1 0 → TP 2, FN 1, FP 1, TN 2.
    #expect(m.confusion == [[2, 1], [1, 2]])
    #expect(abs(m.accuracy - 4.0 / 6) < 1e-12)
    #expect(abs(m.classes[1].precision - 2.0 / 3) < 1e-12)
    #expect(abs(m.classes[1].recall - 2.0 / 3) < 1e-12)
    // AUC: of the 9 (pos, neg) pairs, 8 are ordered right (0.4 < 0.6 is the one wrong).
    #expect(abs((m.rocAUC ?? 0) - 8.0 / 9) < 1e-12)
    #expect(m.roc?.first == CurvePoint(threshold: .infinity, x: 0, y: 0))
    #expect(m.roc?.last?.x == 1 && m.roc?.last?.y == 1)
}

@Test func aucCountsTiesAsHalf() {
    #expect(Metrics.auc(scores: [0.5, 0.5], positives: [true, false]) == 0.5)
    #expect(Metrics.auc(scores: [0.2, 0.7], positives: [true, true]) == nil)
}

@Test func thresholdRulesByHand() {
    let scores = [0.9, 0.8, 0.4, 0.3, 0.6, 0.1]
    let positives = [true, true, true, false, false, false]
    // F1 by threshold: 0.9 → 0.5, 0.8 → 0.8, 0.6 → 0.667, 0.4 → 0.857, 0.3 → 0.75, 0.1 → 0.667.
    #expect(Metrics.chooseThreshold(scores: scores, positives: positives, rule: .f1) == 0.4)
    // Precision 1 holds down to 0.8 (at 0.6 it falls to 2/3).
    #expect(Metrics.chooseThreshold(scores: scores, positives: positives, rule: .precision(1)) == 0.8)
    // Recall 1 first reached at 0.4.
    #expect(Metrics.chooseThreshold(scores: scores, positives: positives, rule: .recall(1)) == 0.4)
    #expect(ThresholdRule("precision=0.95") == .precision(0.95))
    #expect(ThresholdRule("recall=2") == nil)
    #expect(ThresholdRule("f2") == nil)
}
