/// Named tolerance tiers for comparing float outputs; use them through `mismatch`.
public enum Tolerance: Sendable, CustomStringConvertible {
    /// Same arithmetic in the same order: bit-for-bit up to a few ulps.
    case exact
    /// One kernel against a reference that sums in another order (GEMM blocking, SIMD): 1e-5 of the scale.
    case kernel
    /// A whole network against onnxruntime or Keras: 1e-4 of the largest reference magnitude.
    case network

    /// The allowed `max |actual - expected|` as a fraction of `max(1, max |expected|)`
    /// (`.network` uses `max |expected|` alone, as the parity requirement states).
    public var relative: Float {
        switch self {
        case .exact: 1e-6
        case .kernel: 1e-5
        case .network: 1e-4
        }
    }

    public var description: String {
        switch self {
        case .exact: "exact"
        case .kernel: "kernel (1e-5)"
        case .network: "network (1e-4)"
        }
    }
}

/// A description of how `actual` differs from `expected` beyond `tier`, or nil when they agree.
/// NaN must match NaN position for position.
public func mismatch(_ actual: [Float], _ expected: [Float], _ tier: Tolerance) -> String? {
    guard actual.count == expected.count else { return "\(actual.count) values, expected \(expected.count)" }
    var scale: Float = 0
    for e in expected where e.isFinite { scale = max(scale, abs(e)) }
    if tier != .network { scale = max(scale, 1) }
    let limit = tier.relative * max(scale, .leastNormalMagnitude)
    var worst: Float = 0, worstIndex = -1
    for i in actual.indices {
        let a = actual[i], e = expected[i]
        if e.isNaN || a.isNaN {
            if e.isNaN != a.isNaN { return "element \(i) is \(a), expected \(e)" }
            continue
        }
        if e.isInfinite || a.isInfinite {
            if a != e { return "element \(i) is \(a), expected \(e)" }
            continue
        }
        let d = abs(a - e)
        if d > worst { worst = d; worstIndex = i }
    }
    if worst > limit {
        return "max |Δ| = \(worst) at element \(worstIndex) (\(actual[worstIndex]) vs \(expected[worstIndex])) exceeds \(tier) limit \(limit)"
    }
    return nil
}

/// Elementwise comparison as ONNX's backend runner does it (`numpy.testing.assert_allclose`):
/// every element must satisfy `|actual - expected| <= atol + rtol * |expected|`.
/// NaN must match NaN and infinities must be equal. Nil when they agree, else
/// the count of differing elements and the worst one.
public func mismatch(_ actual: [Float], _ expected: [Float], atol: Float, rtol: Float) -> String? {
    guard actual.count == expected.count else { return "\(actual.count) values, expected \(expected.count)" }
    var bad = 0, worst: Float = 0, worstIndex = -1
    for i in actual.indices {
        let a = actual[i], e = expected[i]
        if a.isNaN || e.isNaN || a.isInfinite || e.isInfinite {
            if !(a.isNaN && e.isNaN) && a != e { bad += 1; if worstIndex < 0 { worstIndex = i } }
            continue
        }
        let d = abs(a - e)
        if d > atol + rtol * abs(e) {
            bad += 1
            if worstIndex < 0 || d > worst { worst = d; worstIndex = i }
        }
    }
    guard bad > 0 else { return nil }
    return "\(bad)/\(actual.count) elements differ; worst at element \(worstIndex): \(actual[worstIndex]) vs expected \(expected[worstIndex]) (atol \(atol), rtol \(rtol))"
}
