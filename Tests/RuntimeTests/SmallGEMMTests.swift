import Testing
@testable import LinearAlgebra
import TestSupport

/// `BLAS.sgemm` splits thin products into pieces for OpenBLAS's small-matrix kernel;
/// the pieces must cover the product exactly.
@Suite struct SmallGEMMTests {
    @Test func thinProductsSplitIntoPiecesThatFitTheSmallKernel() {
        // MobileNetV2's late 1×1 convolutions at batch 1: 25 rows, split by columns.
        #expect(BLAS.smallPieces(m: 25, n: 160, k: 960)! == (rows: 25, columns: 32))
        // An early one, a chunk of 1820 rows: split by rows.
        #expect(BLAS.smallPieces(m: 1820, n: 24, k: 144)! == (rows: 289, columns: 24))
        // Small already, or wide: whole.
        #expect(BLAS.smallPieces(m: 25, n: 24, k: 144) == nil)
        #expect(BLAS.smallPieces(m: 1820, n: 576, k: 96) == nil)
    }

    @Test(arguments: [(25, 160, 960), (1820, 24, 144), (100, 70, 384), (300, 50, 100)])
    func splitProductEqualsTheSumByHand(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var random = SeededGenerator(seed: UInt64(m * n * k))
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &random) }
        let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &random) }
        // beta = 1 over a non-zero C: every element accumulated exactly once.
        var c = (0..<(m * n)).map { Float($0 % 7) }
        let initial = c
        BLAS.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: 1, c: &c, ldc: n)
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var sum = Double(initial[i * n + j])
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                worst = max(worst, abs(Float(sum) - c[i * n + j]))
            }
        }
        #expect(worst < 1e-3, "largest error \(worst) for \(m)×\(k) · \(k)×\(n)")
    }
}
