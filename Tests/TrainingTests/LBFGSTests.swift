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
