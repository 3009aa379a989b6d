import Foundation
import Testing
import TestSupport
@testable import Training

// The default head trainer: L-BFGS (LBFGS) on the L2-regularised cross-entropy of a linear
// head (LinearHeadProblem), whose preconditioner uses LeadingEigenvectors.

/// `f(x) = ½ xᵀAx − bᵀx` with `A = [[4, 1, 0], [1, 3, 0], [0, 0, 2]]`, `b = [1, 2, 3]`:
/// the minimum solves `A x = b`: `x₃ = 3/2`, and `4x₁ + x₂ = 1`, `x₁ + 3x₂ = 2` give
/// `x₁ = 1/11`, `x₂ = 7/11`.
private func quadratic(_ x: [Double]) -> (value: Double, gradient: [Double]) {
    let ax = [4 * x[0] + x[1], x[0] + 3 * x[1], 2 * x[2]]
    let b = [1.0, 2, 3]
    let value = 0.5 * zip(x, ax).map(*).reduce(0, +) - zip(b, x).map(*).reduce(0, +)
    return (value, zip(ax, b).map(-))
}

@Test func lbfgsFindsTheMinimumOfAQuadraticByHand() {
    let start = [Double](repeating: 0, count: 3)
    let f0 = quadratic(start)
    var solver = LBFGS(point: start, value: f0.value, gradient: f0.gradient)
    while solver.largestGradient > 1e-12, solver.iterations < 50, solver.iterate(quadratic) {}
    #expect(solver.iterations < 20, "\(solver.iterations) iterations on a 3-d quadratic")
    let expected = [1.0 / 11, 7.0 / 11, 1.5]
    #expect(zip(solver.point, expected).allSatisfy { abs($0 - $1) < 1e-10 }, "\(solver.point)")
    // Every accepted step lowers f (the Armijo condition).
    #expect(solver.value < f0.value)
}

@Test func lbfgsContinuedFromItsDecodedStateTakesTheSameSteps() throws {
    let f0 = quadratic([3, -2, 5])
    var whole = LBFGS(point: [3, -2, 5], value: f0.value, gradient: f0.gradient, memory: 2)
    for _ in 0..<3 { _ = whole.iterate(quadratic) }
    let copy = try JSONDecoder().decode(LBFGS.self, from: JSONEncoder().encode(whole))
    #expect(copy == whole, "the JSON holds every bit of the state")
    var resumed = copy
    for _ in 0..<3 { _ = whole.iterate(quadratic); _ = resumed.iterate(quadratic) }
    #expect(resumed == whole)
    #expect(whole.steps.count == 2, "memory 2 keeps the last two pairs")
}

@Test func jacobiEigenOfATwoByTwoByHand() {
    // [[2, 1], [1, 2]] has eigenvalues 3 (vector (1, 1)/√2) and 1 (vector (1, −1)/√2).
    let (values, u) = LeadingEigenvectors.symmetricEigen([2, 1, 1, 2], size: 2)
    #expect(abs(values[0] - 3) < 1e-14 && abs(values[1] - 1) < 1e-14)
    let r = 0.5.squareRoot()
    #expect(abs(abs(u[0]) - r) < 1e-14 && abs(u[0] - u[2]) < 1e-14, "first column ∝ (1, 1): \(u)")
    #expect(abs(abs(u[1]) - r) < 1e-14 && abs(u[1] + u[3]) < 1e-14, "second column ∝ (1, −1): \(u)")
}

@Test func leadingEigenvectorsOfARotatedDiagonalOperator() {
    // A = R diag(9, 4, 1, 0.5, 0.25, 0.1) Rᵀ with R a Householder reflection I − 2vvᵀ.
    let d = 6, spectrum = [9.0, 4, 1, 0.5, 0.25, 0.1]
    var v = [0.3, -0.5, 0.1, 0.7, -0.2, 0.35]
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    v = v.map { $0 / norm }
    func reflect(_ x: ArraySlice<Double>) -> [Double] {
        let dot = zip(x, v).map(*).reduce(0, +)
        return zip(x, v).map { $0 - 2 * dot * $1 }
    }
    let operatorA: ([Double], Int) -> [Double] = { q, m in
        (0..<m).flatMap { i -> [Double] in
            let y = reflect(q[i * d..<(i + 1) * d])
            return reflect(ArraySlice(zip(y, spectrum).map(*)))
        }
    }
    let (values, vectors) = LeadingEigenvectors.of(dimension: d, count: 3, iterations: 30, seed: 1, multiply: operatorA)
    #expect(zip(values, spectrum).allSatisfy { abs($0 - $1) < 1e-6 }, "\(values)")
    // The first eigenvector is R e₁ (up to sign).
    let e1 = reflect(ArraySlice([1, 0, 0, 0, 0, 0]))
    let cosine = zip(vectors[0..<d], e1).map(*).reduce(0, +)
    #expect(abs(abs(cosine) - 1) < 1e-6)
}

/// Two or three classes of points in 7 dimensions with correlated, shifted features, seeded.
private func correlated(_ n: Int, classes: Int, seed: UInt64, views: Int = 0) -> LabeledFeatures {
    var r = SeededRandom(seed: seed)
    var values: [Double] = [], labels: [Int] = [], augmented: [Double] = []
    for i in 0..<n {
        let c = i % classes
        let common = 2 * r.nextUnit() - 1
        let row = (0..<7).map { j in 0.5 + (j % classes == c ? 1.2 : 0) + 1.5 * common + 0.8 * (2 * r.nextUnit() - 1) }
        values += row
        labels.append(c)
        for _ in 0..<views { augmented += row.map { $0 + 0.2 * (2 * r.nextUnit() - 1) } }
    }
    return LabeledFeatures(values: values, width: 7, labels: labels, augmented: augmented, views: views)
}

@Test(arguments: [(DenseHead.Output.sigmoid, 2, 0), (.softmax, 3, 0), (.softmax, 3, 2)])
func linearHeadObjectiveGradientMatchesFiniteDifferences(output: DenseHead.Output, classes: Int, views: Int) {
    let data = correlated(24, classes: classes, seed: 5, views: views)
    let units = output == .sigmoid ? 1 : classes
    let problem = LinearHeadProblem(data, units: units, output: output, lambda: 0.03,
                                    classWeights: [Double](repeating: 1, count: classes).enumerated().map { 1 + 0.5 * Double($0.offset) },
                                    smoothing: 0.1)
    var r = SeededRandom(seed: 9)
    let theta = (0..<problem.parameterCount).map { _ in 2 * r.nextUnit() - 1 }
    let analytic = problem.evaluate(theta).gradient
    var worst = 0.0
    for i in theta.indices {
        var up = theta, down = theta
        up[i] += 1e-6; down[i] -= 1e-6
        let numeric = (problem.evaluate(up).value - problem.evaluate(down).value) / 2e-6
        worst = max(worst, abs(numeric - analytic[i]) / max(1, abs(numeric)))
    }
    #expect(worst < 1e-7, "largest relative difference \(worst)")
}

@Test func theFoldedDenseHeadComputesTheProblemsLogits() {
    let data = correlated(30, classes: 3, seed: 6)
    let problem = LinearHeadProblem(data, units: 3, output: .softmax, lambda: 1.0 / 30, classWeights: nil, smoothing: 0)
    #expect(!problem.factors.isEmpty, "the correlated features have directions to deflate")
    var r = SeededRandom(seed: 2)
    let theta = (0..<problem.parameterCount).map { _ in 2 * r.nextUnit() - 1 }
    let e = problem.evaluate(theta)
    let head = problem.head(at: theta)
    #expect(head.hidden == nil && head.parameters.count == 2)
    let z = head.logits(data.values, rows: data.count)
    #expect(zip(z, e.logits).allSatisfy { abs($0 - $1) < 1e-12 * max(1, abs($1)) })
    // The penalty is on the unprocessed weights: value − loss = (λ/2) ‖W‖².
    let penalty = head.parameters[0].reduce(0) { $0 + $1 * $1 } / 30 / 2
    #expect(abs(e.value - e.loss - penalty) < 1e-12)
}

@Test func aStoppedLBFGSRunResumedFromItsCheckpointIsBitIdentical() throws {
    var o = TrainingOptions()
    o.epochs = 12; o.labelSmoothing = 0.05
    let train = correlated(40, classes: 3, seed: 1), validation = correlated(15, classes: 3, seed: 2)
    let whole = Trainer.train(train, validation: validation, classes: 3, options: o)
    #expect(whole.history.count == 12 && whole.stopReason == nil, "\(whole.stopReason ?? "")")
    var epochs = 0
    let stopped = Trainer.train(train, validation: validation, classes: 3, options: o, shouldStop: { epochs += 1; return epochs >= 5 })
    let state = try #require(stopped.interruptedState)
    #expect(state.epochsDone == 5 && state.solver?.iterations == 5)
    let saved = TrainingCheckpoint(modelDigest: "m", preprocessingDigest: "p", splitDigest: "s", classNames: ["a", "b", "c"], options: o, state: state)
    let read = try TrainingCheckpoint.decode(try saved.encoded())
    #expect(read == saved)
    let resumed = Trainer.train(train, validation: validation, classes: 3, options: o, resume: read.state)
    #expect(resumed.head == whole.head)
    #expect(resumed.history.map(\.trainLoss) == whole.history.map(\.trainLoss))
    #expect(resumed.history.map(\.validationLoss) == whole.history.map(\.validationLoss))
}

@Test func lbfgsKeepsTheLastIterateAndStopsWhenConverged() {
    var o = TrainingOptions()
    let r = Trainer.train(correlated(60, classes: 2, seed: 3), validation: correlated(20, classes: 2, seed: 4), classes: 2, options: o)
    #expect(r.converged && r.stopReason?.hasPrefix("converged after") == true, "\(r.stopReason ?? "no stop")")
    #expect(r.bestEpoch == r.history.count, "the minimum of the regularised loss is the last iterate")
    #expect(r.history.allSatisfy { $0.learningRate == 0 })
    // --patience keeps the lowest validation loss instead.
    o.patience = 2
    let p = Trainer.train(correlated(60, classes: 2, seed: 3), validation: correlated(20, classes: 2, seed: 4), classes: 2, options: o)
    let best = p.history.compactMap(\.validationLoss).min()!
    #expect(p.history[p.bestEpoch - 1].validationLoss == best)
}

/// Real features: EfficientNet-Lite0's pooled features (onnxruntime) of 600 digits-10 images
/// (480 train / 120 validation) and scikit-learn's LogisticRegression on them, made by
/// `Tests/References/digits10_features_logreg.py` into `.cache/references/` on the first run.
private struct RealDigitFeatures {
    var train: LabeledFeatures
    var validation: LabeledFeatures
    /// scikit-learn's converged model as a Dense head (its coefficients rounded to Float by the .npy reader).
    var logReg: DenseHead
    var reference: [String: Any]

    init() throws {
        let folder = Fixtures.repoFile(".cache/references/digits10-efficientnet-lite0")
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("reference.json").path) {
            let digits = Fixtures.repoFile(".cache/datasets/digits-10")
            if !FileManager.default.fileExists(atPath: digits.path) {
                _ = try ReferencePython.run("Models/datasets/make_digits.py", [Fixtures.repoFile(".cache/datasets").path])
            }
            _ = try ReferencePython.run("Tests/References/digits10_features_logreg.py",
                                        [try Fixtures.realModel(.efficientNetLite0).path, digits.path, folder.path])
        }
        func npy(_ name: String) throws -> NPYArray { try NPYArray(contentsOf: folder.appendingPathComponent(name + ".npy")) }
        func set(_ x: String, _ y: String) throws -> LabeledFeatures {
            let values = try npy(x), labels = try npy(y)
            return LabeledFeatures(values: values.scalars.map(Double.init), width: values.shape[1], labels: labels.scalars.map { Int($0) })
        }
        train = try set("xt", "yt")
        validation = try set("xv", "yv")
        logReg = DenseHead(features: train.width, hidden: nil, units: 10, output: .softmax, dropout: 0,
                           parameters: [try npy("coef").scalars.map(Double.init), try npy("intercept").scalars.map(Double.init)])
        reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("reference.json"))) as? [String: Any])
    }

    /// LogisticRegression's objective for `head`: mean log-loss on the training rows + ‖W‖² / (2n).
    func objective(_ head: DenseHead) -> Double {
        Trainer.evaluateLoss(head, train, classes: 10) + head.parameters[0].reduce(0) { $0 + $1 * $1 } / Double(2 * train.count)
    }

    func right(_ head: DenseHead) -> Int { Int((Trainer.accuracy(head, validation) * Double(validation.count)).rounded()) }
}

/// The default head (L-BFGS, λ = 1/n) is scikit-learn's LogisticRegression(C = 1): on real
/// features it reaches that objective's minimum — to a tight tolerance, at least as low as
/// scikit-learn's converged model — and with the default tolerance it is as accurate.
@Test func theDefaultHeadIsLogisticRegressionOnRealFeatures() throws {
    let real = try RealDigitFeatures()
    #expect(real.train.count == 480 && real.validation.count == 120 && real.train.width == 1280)
    let sklearnObjective = try #require(real.reference["objective_converged"] as? Double)
    #expect(abs(real.objective(real.logReg) - sklearnObjective) < 1e-6, "the reference head reads back")
    let logRegRight = Int(((try #require(real.reference["accuracy_converged"] as? Double)) * 120).rounded())
    let defaultTolRight = Int(((try #require(real.reference["accuracy_default_tol"] as? Double)) * 120).rounded())

    let r = Trainer.train(real.train, validation: real.validation, classes: 10, options: TrainingOptions())
    #expect(r.stopReason?.hasPrefix("converged after") == true, "\(r.stopReason ?? "no stop")")
    print("default head: \(real.right(r.head)) of 120 right after \(r.history.count) iterations, objective "
          + "\(real.objective(r.head)); LogisticRegression \(logRegRight) (default tol: \(defaultTolRight)), objective \(sklearnObjective)")
    #expect(real.right(r.head) >= logRegRight)
    #expect(real.right(r.head) >= defaultTolRight)
    #expect(real.objective(r.head) - sklearnObjective < 1e-6, "the default tolerance stops close to the minimum")

    var tight = TrainingOptions()
    tight.tolerance = 1e-8; tight.epochs = 1000
    let t = Trainer.train(real.train, validation: real.validation, classes: 10, options: tight)
    #expect(real.objective(t.head) <= real.objective(real.logReg) + 1e-12)
}
