import LinearAlgebra

extension BLAS {
    /// `sgemm` on the cores' own threads: OpenBLAS stays single-threaded and the output
    /// columns are split over the cores (16-column boundaries) when the product is large
    /// enough (`m * n * k >= 2^18`) to pay for it. OpenBLAS's own threads are not used:
    /// waking them cost up to 2.4 ms for a 24k multiply-add classifier on a loaded machine,
    /// and they spin on `sched_yield` while the conv kernels run.
    static func sgemmOnCores(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        setThreads(1)
        let parts = m * n * k >= 1 << 18 && n >= 64 ? Parallel.cores : 1
        if parts == 1 {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                  b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        Parallel.perform(parts) { part in
            let lo = (n * part / parts) & ~15, hi = part == parts - 1 ? n : (n * (part + 1) / parts) & ~15
            sgemm(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda,
                  b: transB ? b + lo * ldb : b + lo, ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
        }
    }

}
