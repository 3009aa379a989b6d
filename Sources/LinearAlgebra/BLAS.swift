import COpenBLAS
import Foundation

/// Row-major single-precision GEMM through OpenBLAS:
/// `C[m, n] = alpha * op(A) @ op(B) + beta * C`, with leading dimensions in elements.
/// Shared by the runtime (forward) and Backprop (fine-tuning); each adds its own way of
/// splitting a product over the cores.
public enum BLAS {
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
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
        if !transA, !transB, let piece = smallPieces(m: m, n: n, k: k) {
            for r in stride(from: 0, to: m, by: piece.rows) {
                for j in stride(from: 0, to: n, by: piece.columns) {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(min(piece.rows, m - r)), Int32(min(piece.columns, n - j)),
                                Int32(k), alpha, a + r * lda, Int32(lda), b + j, Int32(ldb), beta, c + r * ldc + j, Int32(ldc))
                }
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The largest product (m·n·k) OpenBLAS 0.3.21 hands to its small-matrix kernel, which
    /// works on A and B in place instead of packing them first (`GRAFT_SMALL_GEMM`; 0 turns
    /// the splitting off). Measured here, one thread: a thin product split into such calls
    /// runs 10–35% faster — [25 × 960] · [960 × 160] 39.9 → 52.9 GMAC/s in 32-column
    /// pieces, [1820 × 144] · [144 × 24] 39.2 → 52.8 in 288-row pieces — and a wide one
    /// ([1820 × 96] · [96 × 576]) is no slower whole, so it is left whole.
    public static let smallProduct = Int(ProcessInfo.processInfo.environment["GRAFT_SMALL_GEMM"] ?? "") ?? 1_000_000

    /// Pieces of an `m × k` by `k × n` product that each fit `smallProduct`: whole rows in
    /// pieces of at least 64 rows, else pieces of at least 16 columns; nil when it fits
    /// already or cannot be split that way.
    static func smallPieces(m: Int, n: Int, k: Int) -> (rows: Int, columns: Int)? {
        guard smallProduct > 0, m * n * k > smallProduct else { return nil }
        let rows = smallProduct / (n * k)
        if rows >= 64 { return (rows, n) }
        let columns = smallProduct / (m * k) & ~15
        if columns >= 16 { return (m, columns) }
        return nil
    }

    /// Threads OpenBLAS may use for the following calls (only calls OpenBLAS when it changes).
    /// Graft keeps it at 1: OpenBLAS's idle threads spin on `sched_yield` and fight the
    /// runtime's workers for the cores (`Docs/runtime.md`); callers split products themselves.
    public static func setThreads(_ n: Int) {
        if currentThreads != n {
            openblas_set_num_threads(Int32(n))
            currentThreads = n
        }
    }
    nonisolated(unsafe) private static var currentThreads = -1
}
