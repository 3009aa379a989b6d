import Foundation

/// The objective a linear head (one Dense layer, no hidden layer, no dropout) is trained on
/// with `--optimizer lbfgs`: the mean cross-entropy over the training rows plus an L2 penalty
/// on the weights, `F(W, b) = (1/n) Σ_r ω_r ℓ(W x_r + b, y_r) + (λ/2) ‖W‖²` — scikit-learn's
/// `LogisticRegression` objective with `C = 1 / (λ n)` (its `C Σ ℓ + ‖W‖² / 2`, divided by
/// `C n`). The bias is not penalised. With augmented views every view is a row: the mean over
/// rows is the mean over images of the mean over their views.
///
/// L-BFGS works in preconditioned coordinates, which change how fast it converges, never the
/// minimum (every map below is invertible and linear):
///
/// - Centring and Jacobi scaling: `x'_j = (x_j − μ_j) / s_j` with the training rows' mean `μ_j`
///   and `s_j = √(c var_j + λ)`, the square root of the Hessian's diagonal at the start
///   (zero weights: every class probability `1/K`, so the curvature of one logit is
///   `c = (1/K)(1 − 1/K)`, or `1/4` for one sigmoid unit). `W'_kj = W_kj s_j`,
///   `b'_k = b_k + Σ_j W_kj μ_j`, so that `W' x' + b' = W x + b`; and `b' = b'' / √c`.
/// - Deflation: in those coordinates the Hessian at the start is about
///   `A = c X'ᵀX'/n + diag(λ / s_j²)`. Pooled CNN features are strongly correlated, so a few
///   directions have curvatures 30–80 times the rest. With the leading `r` eigenpairs
///   `(e_i, v_i)` of `A` (randomized, `LeadingEigenvectors`), `W' = W'' T` with
///   `T = I + Σ_i (√(e_r / e_i) − 1) v_i v_iᵀ` brings them down to the level of the next one.
///
/// On digits-10 (1438 × 1280 features, 10 classes) this takes L-BFGS to the tolerance in
/// 50–65 iterations instead of 170–190 with centring and `√(var_j + λ)` scaling alone.
/// `head(at:)` folds every map back into plain Dense weights: the exported graph is the same
/// Dense layer. A point `θ` is `[W'' (units × width, row-major), b'' (units)]`.
struct LinearHeadProblem {
    let units: Int
    let width: Int
    let rows: Int
    let output: DenseHead.Output
    let lambda: Double
    let mean: [Double]
    let scale: [Double]
    /// `b' = biasScale · b''`.
    let biasScale: Double
    /// `[rows, width]`, centred and scaled.
    let x: [Double]
    let labels: [Int]
    let weights: [Double]?
    let smoothing: Double
    /// `λ / s_j²`: the penalty in the scaled coordinates.
    let penalty: [Double]
    /// The deflated directions `v_i` (`[deflated, width]`) and their factors `√(e_r / e_i) − 1`.
    let directions: [Double]
    let factors: [Double]
    /// True when the rows are exactly the plain training rows, in order (no augmented views).
    let plainRowsOnly: Bool

    /// Directions deflated, and the extra ones the randomized eigensolver carries.
    static let deflated = 32, oversampling = 8

    init(_ train: LabeledFeatures, units: Int, output: DenseHead.Output, lambda: Double,
         classWeights: [Double]?, smoothing: Double) {
        let width = train.width
        var values = train.values, labels = train.labels
        if train.views > 0 {
            values.reserveCapacity(train.count * (train.views + 1) * width)
            for i in 0..<train.count {
                values.append(contentsOf: train.augmented[i * train.views * width..<(i + 1) * train.views * width])
                labels.append(contentsOf: repeatElement(train.labels[i], count: train.views))
            }
        }
        let rows = labels.count
        let curvature = output == .sigmoid ? 0.25 : (1 / Double(units)) * (1 - 1 / Double(units))
        var mean = [Double](repeating: 0, count: width), variance = mean
        for r in 0..<rows { for j in 0..<width { mean[j] += values[r * width + j] } }
        for j in 0..<width { mean[j] /= Double(max(rows, 1)) }
        for r in 0..<rows {
            for j in 0..<width { let d = values[r * width + j] - mean[j]; variance[j] += d * d }
        }
        let scale = variance.map { v -> Double in
            let s = (curvature * v / Double(max(rows, 1)) + lambda).squareRoot()
            return s > 0 ? s : 1
        }
        for r in 0..<rows { for j in 0..<width { values[r * width + j] = (values[r * width + j] - mean[j]) / scale[j] } }
        let penalty = scale.map { lambda / ($0 * $0) }

        // The leading eigenpairs of A = c X'ᵀX'/n + diag(penalty), from products with m row vectors.
        var directions: [Double] = [], factors: [Double] = []
        let m = min(Self.deflated + Self.oversampling, width)
        if m >= 2, rows > 0 {
            let (e, v) = LeadingEigenvectors.of(dimension: width, count: m, iterations: 2, seed: 0x4445_464C_4154_4531) { q, m in
                var xq = [Double](repeating: 0, count: rows * m), aq = q
                values.withUnsafeBufferPointer { x in
                    xq.withUnsafeMutableBufferPointer { xq in
                        DoubleBLAS.multiply(transB: true, m: rows, n: m, k: width, a: x.baseAddress!, lda: width, b: q, ldb: width,
                                            c: xq.baseAddress!, ldc: m)
                    }
                    for i in 0..<m { for j in 0..<width { aq[i * width + j] *= penalty[j] } }
                    aq.withUnsafeMutableBufferPointer { aq in
                        // aq = (c/n) (X' Qᵀ)ᵀ X' + q ⊙ penalty
                        var ct = xq
                        for i in ct.indices { ct[i] *= curvature / Double(rows) }
                        DoubleBLAS.multiply(transA: true, m: m, n: width, k: rows, a: ct, lda: m, b: x.baseAddress!, ldb: width,
                                            beta: 1, c: aq.baseAddress!, ldc: width)
                    }
                }
                return aq
            }
            let r = min(Self.deflated, m - 1)
            let floor = max(e[r], e[0] * 1e-6)
            if e[0] > 0 {
                for i in 0..<r where e[i] > floor {
                    directions += v[i * width..<(i + 1) * width]
                    factors.append((floor / e[i]).squareRoot() - 1)
                }
            }
        }
        self.units = units
        self.width = width
        self.rows = rows
        self.output = output
        self.lambda = lambda
        self.mean = mean
        self.scale = scale
        self.biasScale = 1 / curvature.squareRoot()
        self.x = values
        self.labels = labels
        self.weights = classWeights.map { cw in labels.map { cw[$0] } }
        self.smoothing = smoothing
        self.penalty = penalty
        self.directions = directions
        self.factors = factors
        self.plainRowsOnly = train.views == 0
    }

    var parameterCount: Int { units * width + units }

    /// `W T` for `W` `[units, width]` (T is symmetric: also the gradient's map back).
    private func deflate(_ w: [Double]) -> [Double] {
        let r = factors.count
        guard r > 0 else { return w }
        var projections = [Double](repeating: 0, count: units * r), out = w
        projections.withUnsafeMutableBufferPointer { p in
            DoubleBLAS.multiply(transB: true, m: units, n: r, k: width, a: w, lda: width, b: directions, ldb: width,
                                c: p.baseAddress!, ldc: r)
            for k in 0..<units { for i in 0..<r { p[k * r + i] *= factors[i] } }
        }
        out.withUnsafeMutableBufferPointer { o in
            DoubleBLAS.multiply(m: units, n: width, k: r, a: projections, lda: r, b: directions, ldb: width,
                                beta: 1, c: o.baseAddress!, ldc: width)
        }
        return out
    }

    /// The objective and its gradient at `θ`, with the mean data loss (no penalty), the
    /// logits `[rows, units]` they came from, and the largest component of the gradient with
    /// respect to the exported weights and bias (`∂F/∂W_kj = s_j ∂F/∂W'_kj + μ_j ∂F/∂b'_k`,
    /// `∂F/∂b_k = ∂F/∂b'_k`) — the quantity scikit-learn's `tol` bounds. Blocks of
    /// `HeadMath.blockRows` rows are read once for both the logits and the weight gradient.
    func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double], loss: Double, logits: [Double], largestPlain: Double) {
        let w = deflate(Array(theta[..<(units * width)])), b = theta[(units * width)...].map { $0 * biasScale }
        var z = [Double](repeating: 0, count: rows * units)
        var gw = [Double](repeating: 0, count: units * width), gb = [Double](repeating: 0, count: units)
        var loss = 0.0
        x.withUnsafeBufferPointer { x in
            z.withUnsafeMutableBufferPointer { z in
                gw.withUnsafeMutableBufferPointer { gw in
                    var first = 0
                    while first < rows {
                        let count = min(HeadMath.blockRows, rows - first)
                        let xb = x.baseAddress! + first * width, zb = z.baseAddress! + first * units
                        for r in 0..<count { for k in 0..<units { zb[r * units + k] = b[k] } }
                        DoubleBLAS.multiply(transB: true, m: count, n: units, k: width, a: xb, lda: width, b: w, ldb: width,
                                            beta: 1, c: zb, ldc: units)
                        let labels = Array(self.labels[first..<first + count])
                        let weights = self.weights.map { Array($0[first..<first + count]) }
                        let block = Array(UnsafeBufferPointer(start: zb, count: count * units))
                        // The losses are means over the block: weigh them back to means over all rows.
                        var (blockLoss, dz) = output == .sigmoid
                            ? Loss.binaryCrossEntropy(logits: block, labels: labels, weights: weights, smoothing: smoothing)
                            : Loss.softmaxCrossEntropy(logits: block, classes: units, labels: labels, weights: weights, smoothing: smoothing)
                        let share = Double(count) / Double(rows)
                        loss += blockLoss * share
                        for i in dz.indices { dz[i] *= share }
                        for r in 0..<count { for k in 0..<units { gb[k] += dz[r * units + k] } }
                        DoubleBLAS.multiply(transA: true, m: units, n: width, k: count, a: dz, lda: units, b: xb, ldb: width,
                                            beta: 1, c: gw.baseAddress!, ldc: width)
                        first += count
                    }
                }
            }
        }
        var value = loss, largestPlain = 0.0
        for k in 0..<units {
            largestPlain = max(largestPlain, abs(gb[k]))
            for j in 0..<width {
                let i = k * width + j
                value += 0.5 * penalty[j] * w[i] * w[i]
                gw[i] += penalty[j] * w[i]
                largestPlain = max(largestPlain, abs(scale[j] * gw[i] + mean[j] * gb[k]))
            }
        }
        return (value, deflate(gw) + gb.map { $0 * biasScale }, loss, z, largestPlain)
    }

    /// The Dense head `θ` computes on unprocessed features: `W = W'' T / s`, `b = √c⁻¹ b'' − W μ`.
    func head(at theta: [Double]) -> DenseHead {
        var w = deflate(Array(theta[..<(units * width)])), b = theta[(units * width)...].map { $0 * biasScale }
        for k in 0..<units {
            for j in 0..<width {
                w[k * width + j] /= scale[j]
                b[k] -= w[k * width + j] * mean[j]
            }
        }
        return DenseHead(features: width, hidden: nil, units: units, output: output, dropout: 0, parameters: [w, b])
    }
}
