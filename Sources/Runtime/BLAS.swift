import COpenBLAS

/// Row-major single-precision GEMM through OpenBLAS:
/// `C[m, n] = alpha * op(A) @ op(B) + beta * C`, with leading dimensions in elements.
enum BLAS {
    static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                      alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // OpenBLAS leaves C untouched when k == 0; the contract is C = beta * C.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        if m == 1 {
            // One row: a matrix-vector product. OpenBLAS 0.3.21's sgemm would pack all of B first.
            let incx = transA ? lda : 1
            if transB {  // B is [N, K]
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, Int32(incx), beta, c, 1)
            } else {     // B is [K, N]
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), a, Int32(incx), beta, c, 1)
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Threads OpenBLAS may use for the following calls (only calls OpenBLAS when it changes).
    static func setThreads(_ n: Int) {
        if currentThreads != n {
            openblas_set_num_threads(Int32(n))
            currentThreads = n
        }
    }
    nonisolated(unsafe) private static var currentThreads = -1
}
