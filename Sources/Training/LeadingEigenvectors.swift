import Foundation

/// The leading eigenpairs of a symmetric positive semi-definite operator given only as a
/// product `A · Q`: randomized subspace iteration (Halko, Martinsson & Tropp 2011,
/// "Finding structure with randomness", Algorithm 4.4) followed by Rayleigh–Ritz, with the
/// small projected problem solved by cyclic Jacobi rotations.
enum LeadingEigenvectors {
    /// The `count` largest eigenvalues (descending) and their eigenvectors (`count` rows of
    /// `dimension` values, orthonormal) of the `dimension × dimension` operator `multiply`,
    /// which maps `m` row vectors `[m, dimension]` to their products `[m, dimension]`.
    /// `iterations` power steps sharpen the subspace; the start is drawn from `seed`.
    static func of(dimension d: Int, count m: Int, iterations: Int, seed: UInt64,
                   multiply: ([Double], Int) -> [Double]) -> (values: [Double], vectors: [Double]) {
        precondition(m >= 1 && m <= d)
        var random = SeededRandom(seed: seed)
        var q = (0..<(m * d)).map { _ in 2 * random.nextUnit() - 1 }
        orthonormalize(&q, rows: m, width: d)
        for _ in 0..<iterations {
            q = multiply(q, m)
            orthonormalize(&q, rows: m, width: d)
        }
        // Rayleigh–Ritz: B = Q A Qᵀ (m × m), B = U diag(e) Uᵀ, eigenvectors Uᵀ Q.
        let aq = multiply(q, m)
        var b = [Double](repeating: 0, count: m * m)
        q.withUnsafeBufferPointer { q in
            b.withUnsafeMutableBufferPointer { b in
                DoubleBLAS.multiply(transB: true, m: m, n: m, k: d, a: q.baseAddress!, lda: d, b: aq, ldb: d,
                                    c: b.baseAddress!, ldc: m)
            }
        }
        for i in 0..<m { for j in 0..<i { let mean = (b[i * m + j] + b[j * m + i]) / 2; b[i * m + j] = mean; b[j * m + i] = mean } }
        let (values, u) = symmetricEigen(b, size: m)
        var vectors = [Double](repeating: 0, count: m * d)
        u.withUnsafeBufferPointer { u in
            vectors.withUnsafeMutableBufferPointer { v in
                DoubleBLAS.multiply(transA: true, m: m, n: d, k: m, a: u.baseAddress!, lda: m, b: q, ldb: d,
                                    c: v.baseAddress!, ldc: d)
            }
        }
        return (values, vectors)
    }

    /// Makes the `rows` vectors of `v` (`[rows, width]`) orthonormal: modified Gram–Schmidt,
    /// twice ("twice is enough", Giraud et al. 2005). A vector that vanishes is replaced by zeros.
    static func orthonormalize(_ v: inout [Double], rows: Int, width: Int) {
        for _ in 0..<2 {
            for i in 0..<rows {
                for j in 0..<i {
                    var dot = 0.0
                    for k in 0..<width { dot += v[i * width + k] * v[j * width + k] }
                    for k in 0..<width { v[i * width + k] -= dot * v[j * width + k] }
                }
                var norm = 0.0
                for k in 0..<width { norm += v[i * width + k] * v[i * width + k] }
                norm = norm.squareRoot()
                for k in 0..<width { v[i * width + k] = norm > 0 ? v[i * width + k] / norm : 0 }
            }
        }
    }

    /// Eigenvalues (descending) and eigenvectors (the columns of `[size, size]` row-major
    /// `u`, so `a = u diag(values) uᵀ`) of the symmetric `a`, by cyclic Jacobi rotations
    /// (Golub & Van Loan, *Matrix Computations*, §8.5) until the off-diagonal part is below
    /// 10⁻¹⁴ of the whole, or 100 sweeps.
    static func symmetricEigen(_ a: [Double], size n: Int) -> (values: [Double], u: [Double]) {
        var a = a
        var u = [Double](repeating: 0, count: n * n)
        for i in 0..<n { u[i * n + i] = 1 }
        let total = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i * n + j] * a[i * n + j] } }
            if off <= 1e-28 * total || off == 0 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p * n + q] != 0 {
                    // The rotation that zeroes a[p, q]: t = tan θ, the smaller root of t² + 2τt − 1 = 0.
                    let tau = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (tau >= 0 ? 1 : -1) / (abs(tau) + (1 + tau * tau).squareRoot())
                    let c = 1 / (1 + t * t).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let ukp = u[k * n + p], ukq = u[k * n + q]
                        u[k * n + p] = c * ukp - s * ukq
                        u[k * n + q] = s * ukp + c * ukq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] || a[$0 * n + $0] == a[$1 * n + $1] && $0 < $1 }
        var sorted = [Double](repeating: 0, count: n * n)
        for (column, source) in order.enumerated() { for k in 0..<n { sorted[k * n + column] = u[k * n + source] } }
        return (order.map { a[$0 * n + $0] }, sorted)
    }
}
