import Dispatch
import Foundation
import LinearAlgebra

/// A reusable float buffer: grows when asked for more, never shrinks, so the
/// activations of one batch size are allocated once and reused every step.
final class FloatBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(_ count: Int = 0) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count` floats (contents are undefined after growing).
    @discardableResult
    func ensure(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
        }
        return pointer
    }
}

extension BLAS {
    /// `sgemm` with C split into one block per core (rows or columns, whichever is longer),
    /// each block one single-threaded OpenBLAS call on its own dispatch worker.
    static func parallelSgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                              alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int,
                              beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        // A few blocks per core, so a core slowed by other processes does not hold the others up.
        let parts = min(Parallel.cores * 3, max(m, n) / 128)
        guard Parallel.cores > 1, parts > 1, m * n * k >= 1 << 18 else {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let splitRows = m >= n
        let length = splitRows ? m : n
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            // Block boundaries on multiples of 16 keep the kernels' full-width tiles.
            let lo = (length * p / parts) & ~15, hi = p == parts - 1 ? length : (length * (p + 1) / parts) & ~15
            guard lo < hi else { return }
            if splitRows {
                sgemm(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                      a: transA ? a + lo : a + lo * lda, lda: lda, b: b, ldb: ldb, beta: beta, c: c + lo * ldc, ldc: ldc)
            } else {
                sgemm(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda,
                      b: transB ? b + lo * ldb : b + lo, ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
            }
        }
    }
}

/// Splits loops over the cores with `DispatchQueue.concurrentPerform` when the work pays for it.
enum Parallel {
    static let cores = max(ProcessInfo.processInfo.activeProcessorCount, 1)

    /// `body(range)` on disjoint ranges covering `0..<count`; parallel when `work` (elements touched) is large.
    static func forRanges(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let tasks = min(count, work < 65_536 || cores == 1 ? 1 : cores)
        if tasks <= 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            let lo = count * t / tasks, hi = count * (t + 1) / tasks
            if lo < hi { body(lo..<hi) }
        }
    }
}

/// Adds or assigns `count` floats: `dst = src` when `assign`, else `dst += src`.
@inline(__always)
func accumulate(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int, assign: Bool) {
    if assign {
        dst.update(from: src, count: count)
    } else {
        for i in 0..<count { dst[i] += src[i] }
    }
}

/// Swaps the first two axes of a `[a, b, inner]` array: `dst[j, i, :] = src[i, j, :]`.
/// This converts NCHW (`[N, C, H·W]`) to channel-major CNHW (`[C, N, H·W]`) and back.
func swapLeadingAxes(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, a: Int, b: Int, inner: Int,
                     accumulateInto: Bool = false) {
    Parallel.forRanges(a, work: a * b * inner) { range in
        for i in range {
            for j in 0..<b {
                let s = src + (i * b + j) * inner, d = dst + (j * a + i) * inner
                if accumulateInto { for k in 0..<inner { d[k] += s[k] } } else { d.update(from: s, count: inner) }
            }
        }
    }
}

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// `Σ a[i] · b[i]` with 8-wide partial sums (a float reduction does not vectorize by itself).
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = SIMD8<Float>(repeating: 0), acc1 = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 16 <= n {
        acc0 += load8(a + i) * load8(b + i)
        acc1 += load8(a + i + 8) * load8(b + i + 8)
        i += 16
    }
    while i + 8 <= n { acc0 += load8(a + i) * load8(b + i); i += 8 }
    var s = (acc0 + acc1).sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// `Σ a[i]` with 8-wide partial sums.
@inline(__always)
func sum(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = SIMD8<Float>(repeating: 0), acc1 = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 16 <= n { acc0 += load8(a + i); acc1 += load8(a + i + 8); i += 16 }
    while i + 8 <= n { acc0 += load8(a + i); i += 8 }
    var s = (acc0 + acc1).sum()
    while i < n { s += a[i]; i += 1 }
    return s
}

/// `Σ (a[i] - c)²` with 8-wide partial sums.
@inline(__always)
func sumSquaredDeviation(_ a: UnsafePointer<Float>, _ n: Int, from c: Float) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    let cv = SIMD8<Float>(repeating: c)
    var i = 0
    while i + 8 <= n { let d = load8(a + i) - cv; acc += d * d; i += 8 }
    var s = acc.sum()
    while i < n { let d = a[i] - c; s += d * d; i += 1 }
    return s
}
