import GraphIR
import LinearAlgebra

/// gemm (`alpha · op(A) · op(B) + beta · C`) and matMul (`A[..., M, K] · B[K, N]`, B 2-D),
/// row-major. C broadcasts to `[M, N]` from `[]`, `[N]`, `[1, N]`, `[M, 1]` or `[M, N]`.
final class GemmKernel: Kernel {
    let node: NodeRef
    let attrs: GemmAttributes
    let isMatMul: Bool
    var m = 0, k = 0, n = 0
    var cRows = 1, cCols = 1

    init(_ node: NodeRef, _ attrs: GemmAttributes, matMul: Bool) {
        self.node = node
        self.attrs = attrs
        self.isMatMul = matMul
    }

    func forward(_ e: Engine) throws {
        let a = e.slots[node.inputs[0]], b = e.slots[node.inputs[1]]
        guard b.shape.count == 2, a.shape.count >= 2, isMatMul || a.shape.count == 2 else {
            throw node.error("supports A [M, K] (matMul: [..., M, K]) and a 2-D B, got \(a.shape) and \(b.shape)")
        }
        if isMatMul {
            k = a.shape.last!; m = a.count / max(k, 1); n = b.shape[1]
            guard b.shape[0] == k else { throw node.error("inner dimensions differ: \(a.shape) · \(b.shape)") }
        } else {
            m = attrs.transA ? a.shape[1] : a.shape[0]; k = attrs.transA ? a.shape[0] : a.shape[1]
            n = attrs.transB ? b.shape[0] : b.shape[1]
            guard (attrs.transB ? b.shape[1] : b.shape[0]) == k else { throw node.error("inner dimensions differ: \(a.shape) · \(b.shape)") }
        }
        let x = e.data(node.inputs[0], cnhw: false, key: 1)
        let outShape = isMatMul ? Array(a.shape.dropLast()) + [n] : [m, n]
        let y = e.output(node.outputs[0], shape: outShape, cnhw: false)
        let tA = !isMatMul && attrs.transA, tB = !isMatMul && attrs.transB
        let alpha: Float = isMatMul ? 1 : attrs.alpha
        BLAS.parallelSgemm(transA: tA, transB: tB, m: m, n: n, k: k, alpha: alpha, a: x, lda: tA ? m : k,
                   b: b.data.pointer, ldb: tB ? k : n, c: y, ldc: n)
        if !isMatMul, node.inputs.count > 2, node.inputs[2] >= 0 {
            let cs = e.slots[node.inputs[2]]
            let s = cs.shape
            (cRows, cCols) = s.count == 2 ? (s[0], s[1]) : (1, s.first ?? 1)
            guard (cRows == 1 || cRows == m) && (cCols == 1 || cCols == n) else { throw node.error("C \(s) does not broadcast to [\(m), \(n)]") }
            let c = cs.data.pointer, beta = attrs.beta
            for i in 0..<m { for j in 0..<n { y[i * n + j] += beta * c[(cRows == 1 ? 0 : i) * cCols + (cCols == 1 ? 0 : j)] } }
        }
    }

    func backward(_ e: Engine) throws {
        let ai = node.inputs[0], bi = node.inputs[1]
        let dy = e.grad(node.outputs[0], cnhw: false, key: 0)
        let tA = !isMatMul && attrs.transA, tB = !isMatMul && attrs.transB
        let alpha: Float = isMatMul ? 1 : attrs.alpha
        let b = UnsafePointer(e.slots[bi].data.pointer)
        if e.slots[ai].needsGrad {
            let t = e.buffer(-40, m * k)
            if tA {  // dA [K, M] = alpha · op(B) · dYᵀ
                BLAS.parallelSgemm(transA: tB, transB: true, m: k, n: m, k: n, alpha: alpha, a: b, lda: tB ? k : n, b: dy, ldb: n, c: t, ldc: m)
            } else {  // dA [M, K] = alpha · dY · op(B)ᵀ
                BLAS.parallelSgemm(transA: false, transB: !tB, m: m, n: k, k: n, alpha: alpha, a: dy, lda: n, b: b, ldb: tB ? k : n, c: t, ldc: k)
            }
            e.addGrad(ai, t, srcCNHW: false)
        }
        if e.slots[bi].needsGrad {
            let x = e.data(ai, cnhw: false, key: 1)
            let (dB, assign) = e.gradTarget(bi)
            if tB {  // dB [N, K] = alpha · dYᵀ · op(A)
                BLAS.parallelSgemm(transA: true, transB: tA, m: n, n: k, k: m, alpha: alpha, a: dy, lda: n, b: x, ldb: tA ? m : k,
                           beta: assign ? 0 : 1, c: dB, ldc: k)
            } else {  // dB [K, N] = alpha · op(A)ᵀ · dY
                BLAS.parallelSgemm(transA: !tA, transB: false, m: k, n: n, k: m, alpha: alpha, a: x, lda: tA ? m : k, b: dy, ldb: n,
                           beta: assign ? 0 : 1, c: dB, ldc: n)
            }
        }
        if !isMatMul, node.inputs.count > 2, node.inputs[2] >= 0, e.slots[node.inputs[2]].needsGrad {
            let dC = e.gradAccumulator(node.inputs[2]), beta = attrs.beta
            for i in 0..<m { for j in 0..<n { dC[(cRows == 1 ? 0 : i) * cCols + (cCols == 1 ? 0 : j)] += beta * dy[i * n + j] } }
        }
    }
}
