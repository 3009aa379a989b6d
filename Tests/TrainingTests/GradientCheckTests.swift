import Foundation
import Testing
@testable import Training

/// Every backward pass against central finite differences in Double:
/// `∂L/∂θ_i ≈ (L(θ + h e_i) − L(θ − h e_i)) / 2h` with `h = 1e-6`, for the scalar
/// `L = Σ y ⊙ r` (a fixed random `r` makes every output matter).

private func randoms(_ n: Int, seed: UInt64, scale: Double = 1) -> [Double] {
    var r = SeededRandom(seed: seed)
    return (0..<n).map { _ in (2 * r.nextUnit() - 1) * scale }
}

/// Largest |analytic − numeric| relative to max(1, |numeric|), over every index of `at`.
private func fdError(_ at: [Double], analytic: [Double], _ f: ([Double]) -> Double) -> Double {
    let h = 1e-6
    var worst = 0.0
    for i in at.indices {
        var plus = at, minus = at
        plus[i] += h; minus[i] -= h
        let numeric = (f(plus) - f(minus)) / (2 * h)
        worst = max(worst, abs(analytic[i] - numeric) / max(1, abs(numeric)))
    }
    return worst
}

private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

@Test func denseBackwardMatchesFiniteDifferences() {
    let (n, i, o) = (3, 5, 4)
    let x = randoms(n * i, seed: 1), w = randoms(o * i, seed: 2), b = randoms(o, seed: 3), r = randoms(n * o, seed: 4)
    let g = HeadMath.denseBackward(x, rows: n, inputs: i, weight: w, outputs: o, gradient: r)
    #expect(fdError(x, analytic: g.dx) { dot(HeadMath.dense($0, rows: n, inputs: i, weight: w, bias: b), r) } < 1e-8)
    #expect(fdError(w, analytic: g.dw) { dot(HeadMath.dense(x, rows: n, inputs: i, weight: $0, bias: b), r) } < 1e-8)
    #expect(fdError(b, analytic: g.db) { dot(HeadMath.dense(x, rows: n, inputs: i, weight: w, bias: $0), r) } < 1e-8)
}

@Test func reluBackwardMatchesFiniteDifferences() {
    // Keep inputs away from the kink at 0, where the derivative is not defined.
    let x = randoms(12, seed: 5).map { $0 + ($0 >= 0 ? 0.1 : -0.1) }, r = randoms(12, seed: 6)
    #expect(fdError(x, analytic: HeadMath.reluBackward(x, gradient: r)) { dot(HeadMath.relu($0), r) } < 1e-8)
}

@Test func dropoutBackwardIsTheMask() {
    var random = SeededRandom(seed: 7)
    let mask = HeadMath.dropoutMask(count: 1000, ratio: 0.25, random: &random)
    #expect(Set(mask) == [0, 1 / 0.75])
    #expect(abs(Double(mask.filter { $0 == 0 }.count) / 1000 - 0.25) < 0.05)
    let x = randoms(1000, seed: 8), r = randoms(1000, seed: 9)
    #expect(fdError(x, analytic: HeadMath.dropout(r, mask: mask)) { dot(HeadMath.dropout($0, mask: mask), r) } < 1e-8)
}

@Test func sigmoidAndSoftmaxBackwardMatchFiniteDifferences() {
    let z = randoms(12, seed: 10, scale: 3), r = randoms(12, seed: 11)
    let y = z.map(HeadMath.sigmoid)
    #expect(fdError(z, analytic: HeadMath.sigmoidBackward(output: y, gradient: r)) { dot($0.map(HeadMath.sigmoid), r) } < 1e-8)
    let p = HeadMath.softmax(z, classes: 4)
    #expect(fdError(z, analytic: HeadMath.softmaxBackward(output: p, gradient: r, classes: 4)) {
        dot(HeadMath.softmax($0, classes: 4), r)
    } < 1e-8)
}

@Test(arguments: [0.0, 0.1])
func lossGradientsMatchFiniteDifferences(smoothing: Double) {
    let labels = [0, 1, 1, 0, 1]
    let weights = [0.5, 2, 1, 1.5, 1]
    let z = randoms(5, seed: 12, scale: 4)
    let bce = Loss.binaryCrossEntropy(logits: z, labels: labels, weights: weights, smoothing: smoothing)
    #expect(fdError(z, analytic: bce.gradient) {
        Loss.binaryCrossEntropy(logits: $0, labels: labels, weights: weights, smoothing: smoothing).loss
    } < 1e-8)
    let classes = [2, 0, 1, 2, 1]
    let zk = randoms(15, seed: 13, scale: 4)
    let ce = Loss.softmaxCrossEntropy(logits: zk, classes: 3, labels: classes, weights: weights, smoothing: smoothing)
    #expect(fdError(zk, analytic: ce.gradient) {
        Loss.softmaxCrossEntropy(logits: $0, classes: 3, labels: classes, weights: weights, smoothing: smoothing).loss
    } < 1e-8)
}

@Test(arguments: [(nil, DenseHead.Output.sigmoid, 1), (6, .sigmoid, 1), (6, .softmax, 3)] as [(Int?, DenseHead.Output, Int)])
func wholeHeadGradientsMatchFiniteDifferences(hidden: Int?, output: DenseHead.Output, units: Int) {
    let n = 4, features = 5
    var head = DenseHead.initial(features: features, hidden: hidden, units: units, output: output, dropout: 0, seed: 3)
    // Non-zero biases, so ReLU sees both signs.
    for p in head.parameters.indices where p % 2 == 1 { head.parameters[p] = randoms(head.parameters[p].count, seed: UInt64(20 + p)) }
    let x = randoms(n * features, seed: 14)
    let labels = units == 1 ? [0, 1, 1, 0] : [0, 2, 1, 2]
    var none: SeededRandom? = nil
    let (_, grads) = head.lossAndGradients(x, rows: n, labels: labels, weights: nil, smoothing: 0.05, random: &none)
    for p in head.parameters.indices {
        let error = fdError(head.parameters[p], analytic: grads[p]) { values in
            var h = head
            h.parameters[p] = values
            var r: SeededRandom? = nil
            return h.lossAndGradients(x, rows: n, labels: labels, weights: nil, smoothing: 0.05, random: &r).loss
        }
        #expect(error < 1e-7, "parameter \(p)")
    }
}
