import LinearAlgebra

/// NumPy `matmul` over row-major values through `cblas_sgemm`, one call per
/// batch matrix (columns split over the cores, `BLAS.sgemmOnCores`). `a` is `[batch…, M, K]`, `b` `[batch…, K, N]`; a batch offset
/// of 0 repeats a broadcast operand. Output `[batch…, M, N]`.
struct MatMulKernel: Kernel {
    let m: Int, n: Int, k: Int
    /// Element offsets of each batch matrix in a and b.
    let offsetsA: [Int], offsetsB: [Int]

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        for i in offsetsA.indices {
            BLAS.sgemmOnCores(m: m, n: n, k: k, a: inputs[0] + offsetsA[i], lda: k, b: inputs[1] + offsetsB[i], ldb: n,
                       c: output + i * m * n, ldc: n)
        }
    }
}

/// `alpha * op(A) @ op(B) + beta * C`, then an activation. `a` is `[M, K]`
/// (`[K, M]` when transposed), `b` `[K, N]` (`[N, K]`), the optional `c` is
/// already broadcast to `[M, N]` at plan time.
struct GemmKernel: Kernel {
    let m: Int, n: Int, k: Int
    let attributes: GemmAttributesCopy
    let c: FloatBuffer?
    let activation: Activation

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let a = attributes
        var beta: Float = 0
        if let c {
            output.update(from: c.pointer, count: m * n)
            beta = a.beta
        }
        BLAS.sgemmOnCores(transA: a.transA, transB: a.transB, m: m, n: n, k: k, alpha: a.alpha,
                   a: inputs[0], lda: a.transA ? m : k, b: inputs[1], ldb: a.transB ? k : n,
                   beta: beta, c: output, ldc: n)
        activation.apply(output, m * n)
    }
}

/// The gemm attributes a kernel needs (kept free of the IR module).
struct GemmAttributesCopy: Sendable {
    var alpha: Float, beta: Float, transA: Bool, transB: Bool
}
