import COpenBLAS
import Foundation

/// The forward and backward kernels of a Dense head, on flat row-major `[Double]`
/// arrays. Training runs in Double: the head is small (features × classes), and
/// Double makes `--seed` runs reproducible and the finite-difference checks tight.
///
/// Layouts: activations `[n, features]`; a Dense weight is `[out, in]` (the IR's
/// layout, as `Gemm(transB: 1)` reads it); a bias is `[out]`. The products go through
/// OpenBLAS' `dgemm` on one thread, so a result depends only on the shapes and values.
public enum HeadMath {
    /// `y[n, o] = Σ_i x[n, i] · w[o, i] + b[o]`, one `dgemm` per `blockRows` rows.
    public static func dense(_ x: [Double], rows n: Int, inputs: Int, weight w: [Double], bias b: [Double]) -> [Double] {
        let outputs = b.count
        precondition(x.count == n * inputs && w.count == outputs * inputs)
        var y = [Double](repeating: 0, count: n * outputs)
        guard n > 0, outputs > 0 else { return y }
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                for r in 0..<n { for o in 0..<outputs { y[r * outputs + o] = b[o] } }
                for first in stride(from: 0, to: n, by: blockRows) {
                    DoubleBLAS.multiply(transB: true, m: min(blockRows, n - first), n: outputs, k: inputs,
                                        a: x.baseAddress! + first * inputs, lda: inputs, b: w, ldb: inputs,
                                        beta: 1, c: y.baseAddress! + first * outputs, ldc: outputs)
                }
            }
        }
        return y
    }

    /// Rows per `dgemm` when many rows meet a narrow layer: blocks this small stay in the
    /// cache and run in OpenBLAS' kernels for small matrices, without packing (1438 × 1280
    /// features into 10 classes, forward and weight gradient: 4.0 ms with blocks of 32 rows,
    /// 7–8 ms with 128 rows or all of them in one product).
    static let blockRows = 32

    /// Gradients of `dense` given `dy = ∂L/∂y` `[n, out]`:
    /// `dx = dy · w` `[n, in]`, `dw = dyᵀ · x` `[out, in]`, `db = Σ_n dy` `[out]`.
    /// `needInput: false` skips `dx` (the first layer's input is data).
    public static func denseBackward(_ x: [Double], rows n: Int, inputs: Int, weight w: [Double], outputs: Int,
                                     gradient dy: [Double], needInput: Bool = true)
        -> (dx: [Double], dw: [Double], db: [Double]) {
        precondition(x.count == n * inputs && w.count == outputs * inputs && dy.count == n * outputs)
        var dx = [Double](repeating: 0, count: needInput ? n * inputs : 0)
        var dw = [Double](repeating: 0, count: outputs * inputs)
        var db = [Double](repeating: 0, count: outputs)
        guard n > 0, outputs > 0 else { return (dx, dw, db) }
        for r in 0..<n { for o in 0..<outputs { db[o] += dy[r * outputs + o] } }
        dw.withUnsafeMutableBufferPointer { dw in
            DoubleBLAS.multiply(transA: true, m: outputs, n: inputs, k: n, a: dy, lda: outputs, b: x, ldb: inputs,
                                c: dw.baseAddress!, ldc: inputs)
        }
        if needInput {
            dx.withUnsafeMutableBufferPointer { dx in
                DoubleBLAS.multiply(m: n, n: inputs, k: outputs, a: dy, lda: outputs, b: w, ldb: inputs,
                                    c: dx.baseAddress!, ldc: inputs)
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

/// Double-precision OpenBLAS, kept single-threaded (as Runtime and Backprop keep it: its idle
/// threads spin and fight the dispatch workers for the cores; and one thread sums in one order).
enum DoubleBLAS {
    static func singleThreaded() {
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
    }

    /// Row-major `C[m, n] = op(A) · op(B) + beta · C`, leading dimensions in elements.
    static func multiply(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                         beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // OpenBLAS leaves C untouched when k == 0; the contract is C = beta · C.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        singleThreaded()
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `Σ a[i] b[i]`.
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        singleThreaded()
        return cblas_ddot(Int32(a.count), a, 1, b, 1)
    }

    /// `y += alpha · x`.
    static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        precondition(x.count == y.count)
        singleThreaded()
        cblas_daxpy(Int32(x.count), alpha, x, 1, &y, 1)
    }
}
