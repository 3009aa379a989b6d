import Foundation

/// The training losses, each returning the mean loss and its gradient with
/// respect to the logits, fused with the activation for numerical stability.
///
/// Sample `r` weighs `weights[r]` (class weights); the loss is `Σ_r w_r ℓ_r / n`
/// (as Keras' `class_weight`). Label smoothing `ε` moves targets toward uniform:
/// `y' = y (1 − ε) + ε / K` with `K = 2` for one sigmoid unit.
public enum Loss {
    /// Binary cross-entropy on one logit per sample: `ℓ = max(z, 0) − z y' + log(1 + e^{−|z|})`,
    /// `∂ℓ/∂z = σ(z) − y'`. `labels` are 0 or 1.
    public static func binaryCrossEntropy(logits z: [Double], labels: [Int], weights: [Double]? = nil,
                                          smoothing: Double = 0) -> (loss: Double, gradient: [Double]) {
        let n = z.count
        var loss = 0.0
        var grad = [Double](repeating: 0, count: n)
        for r in 0..<n {
            let y = Double(labels[r]) * (1 - smoothing) + smoothing / 2
            let w = weights?[r] ?? 1
            loss += w * (max(z[r], 0) - z[r] * y + log1p(exp(-abs(z[r]))))
            grad[r] = w * (HeadMath.sigmoid(z[r]) - y) / Double(n)
        }
        return (loss / Double(n), grad)
    }

    /// Softmax cross-entropy over `[n, k]` logits: `ℓ = −Σ_j y'_j log softmax(z)_j`,
    /// `∂ℓ/∂z = softmax(z) − y'`.
    public static func softmaxCrossEntropy(logits z: [Double], classes k: Int, labels: [Int], weights: [Double]? = nil,
                                           smoothing: Double = 0) -> (loss: Double, gradient: [Double]) {
        let n = labels.count
        var loss = 0.0
        var grad = [Double](repeating: 0, count: n * k)
        for r in 0..<n {
            let row = Array(z[r * k..<(r + 1) * k])
            let m = row.max()!
            let logSum = m + log(row.reduce(0) { $0 + exp($1 - m) })
            let w = weights?[r] ?? 1
            for j in 0..<k {
                let y = (j == labels[r] ? 1 - smoothing : 0) + smoothing / Double(k)
                loss -= w * y * (row[j] - logSum)
                grad[r * k + j] = w * (exp(row[j] - logSum) - y) / Double(n)
            }
        }
        return (loss / Double(n), grad)
    }

    /// Balanced class weights `n / (K · n_c)` (scikit-learn's "balanced").
    public static func balancedClassWeights(labels: [Int], classes k: Int) -> [Double] {
        var counts = [Int](repeating: 0, count: k)
        for l in labels { counts[l] += 1 }
        return counts.map { $0 == 0 ? 0 : Double(labels.count) / (Double(k) * Double($0)) }
    }
}
