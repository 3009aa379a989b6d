import Foundation

/// The forward and backward kernels of a Dense head, on flat row-major `[Double]`
/// arrays. Training runs in Double: the head is small (features × classes), and
/// Double makes `--seed` runs reproducible and the finite-difference checks tight.
///
/// Layouts: activations `[n, features]`; a Dense weight is `[out, in]` (the IR's
/// layout, as `Gemm(transB: 1)` reads it); a bias is `[out]`.
public enum HeadMath {
    /// `y[n, o] = Σ_i x[n, i] · w[o, i] + b[o]`.
    public static func dense(_ x: [Double], rows n: Int, inputs: Int, weight w: [Double], bias b: [Double]) -> [Double] {
        let outputs = b.count
        precondition(x.count == n * inputs && w.count == outputs * inputs)
        var y = [Double](repeating: 0, count: n * outputs)
        x.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                y.withUnsafeMutableBufferPointer { y in
                    for r in 0..<n {
                        let xr = r * inputs
                        for o in 0..<outputs {
                            let wo = o * inputs
                            var s = b[o]
                            for i in 0..<inputs { s += x[xr + i] * w[wo + i] }
                            y[r * outputs + o] = s
                        }
                    }
                }
            }
        }
        return y
    }

    /// Gradients of `dense` given `dy = ∂L/∂y` `[n, out]`:
    /// `dx = dy · w` `[n, in]`, `dw = dyᵀ · x` `[out, in]`, `db = Σ_n dy` `[out]`.
    /// `needInput: false` skips `dx` (the first layer's input is data).
    public static func denseBackward(_ x: [Double], rows n: Int, inputs: Int, weight w: [Double], outputs: Int,
                                     gradient dy: [Double], needInput: Bool = true)
        -> (dx: [Double], dw: [Double], db: [Double]) {
        var dx = [Double](repeating: 0, count: needInput ? n * inputs : 0)
        var dw = [Double](repeating: 0, count: outputs * inputs)
        var db = [Double](repeating: 0, count: outputs)
        x.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                dw.withUnsafeMutableBufferPointer { dw in
                    dx.withUnsafeMutableBufferPointer { dx in
                        for r in 0..<n {
                            let xr = r * inputs
                            for o in 0..<outputs {
                                let g = dy[r * outputs + o]
                                if g == 0 { continue }
                                db[o] += g
                                let wo = o * inputs
                                for i in 0..<inputs { dw[wo + i] += g * x[xr + i] }
                                if needInput { for i in 0..<inputs { dx[xr + i] += g * w[wo + i] } }
                            }
                        }
                    }
                }
            }
        }
        return (dx, dw, db)
    }

    public static func relu(_ x: [Double]) -> [Double] { x.map { max($0, 0) } }

    /// `dx = dy` where `x > 0`, else 0 (the subgradient at 0 is 0, as in every framework).
    public static func reluBackward(_ x: [Double], gradient dy: [Double]) -> [Double] {
        zip(x, dy).map { $0 > 0 ? $1 : 0 }
    }

    /// An inverted-dropout mask: each entry is 0 with probability `ratio`, else `1 / (1 - ratio)`.
    public static func dropoutMask(count: Int, ratio: Double, random: inout SeededRandom) -> [Double] {
        let keep = 1 / (1 - ratio)
        return (0..<count).map { _ in random.nextUnit() < ratio ? 0 : keep }
    }

    /// `y = x ⊙ mask`; its backward is `dx = dy ⊙ mask`.
    public static func dropout(_ x: [Double], mask: [Double]) -> [Double] { zip(x, mask).map(*) }

    public static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }

    /// `dz = dy · y (1 − y)` with `y = sigmoid(z)`.
    public static func sigmoidBackward(output y: [Double], gradient dy: [Double]) -> [Double] {
        zip(y, dy).map { $1 * $0 * (1 - $0) }
    }

    /// Softmax over each row of `[n, k]`, shifted by the row's maximum.
    public static func softmax(_ z: [Double], classes k: Int) -> [Double] {
        var p = z
        for r in 0..<(z.count / k) {
            let row = r * k..<(r + 1) * k
            let m = z[row].max()!
            var s = 0.0
            for j in row { p[j] = exp(z[j] - m); s += p[j] }
            for j in row { p[j] /= s }
        }
        return p
    }

    /// `dz_j = y_j (dy_j − Σ_i dy_i y_i)` per row.
    public static func softmaxBackward(output y: [Double], gradient dy: [Double], classes k: Int) -> [Double] {
        var dz = dy
        for r in 0..<(y.count / k) {
            let row = r * k..<(r + 1) * k
            var dot = 0.0
            for j in row { dot += dy[j] * y[j] }
            for j in row { dz[j] = y[j] * (dy[j] - dot) }
        }
        return dz
    }
}
