import Foundation
import GraphIR

/// An elementwise activation, applied on its own or as a conv/gemm epilogue.
/// NaN inputs give NaN outputs.
enum Activation: Equatable, Sendable {
    case none
    case relu
    case clip(min: Float, max: Float)
    case sigmoid
    case hardSigmoid(alpha: Float, beta: Float)
    case hardSwish
    case swish

    /// Applies the activation to `count` floats in place.
    @inline(__always)
    func apply(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .none: return
        case .relu:
            vectorLoop(p, count) { v in v.replacing(with: 0, where: v .< 0) }
        case .clip(let lo, let hi):
            vectorLoop(p, count) { v in v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi) }
        case .hardSigmoid(let alpha, let beta):
            vectorLoop(p, count) { v in
                let y = v * alpha + beta
                return y.replacing(with: 0, where: y .< 0).replacing(with: 1, where: y .> 1)
            }
        case .hardSwish:
            vectorLoop(p, count) { v in
                let y = v * (1 / 6) + 0.5
                return v * y.replacing(with: 0, where: y .< 0).replacing(with: 1, where: y .> 1)
            }
        case .sigmoid:
            for i in 0..<count { p[i] = 1 / (1 + exp(-p[i])) }
        case .swish:
            for i in 0..<count { p[i] = p[i] / (1 + exp(-p[i])) }
        }
    }

    /// The activation of each lane of `v` (for epilogues that hold results in registers).
    @inline(__always)
    func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .none: return v
        case .relu: return v.replacing(with: 0, where: v .< 0)
        case .clip(let lo, let hi): return v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
        case .hardSigmoid(let alpha, let beta):
            let y = v * alpha + beta
            return y.replacing(with: 0, where: y .< 0).replacing(with: 1, where: y .> 1)
        case .hardSwish:
            let y = v * (1 / 6) + 0.5
            return v * y.replacing(with: 0, where: y .< 0).replacing(with: 1, where: y .> 1)
        case .sigmoid:
            var r = v
            for i in 0..<8 { r[i] = 1 / (1 + exp(-v[i])) }
            return r
        case .swish:
            var r = v
            for i in 0..<8 { r[i] = v[i] / (1 + exp(-v[i])) }
            return r
        }
    }

    /// The activation for an IR op, if it is one.
    init?(_ op: Op) {
        switch op {
        case .relu: self = .relu
        case .clip(let lo, let hi): self = .clip(min: lo, max: hi)
        case .sigmoid: self = .sigmoid
        case .hardSigmoid(let a, let b): self = .hardSigmoid(alpha: a, beta: b)
        case .hardSwish: self = .hardSwish
        case .swish: self = .swish
        default: return nil
        }
    }
}

/// Runs `f` over `p[0..<count]` in 16-wide SIMD chunks and a scalar tail.
@inline(__always)
func vectorLoop(_ p: UnsafeMutablePointer<Float>, _ count: Int, _ f: (SIMD16<Float>) -> SIMD16<Float>) {
    var i = 0
    let raw = UnsafeMutableRawPointer(p)
    while i + 16 <= count {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        raw.storeBytes(of: f(v), toByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    if i < count {
        var v = SIMD16<Float>(repeating: 0)
        for j in 0..<(count - i) { v[j] = p[i + j] }
        let r = f(v)
        for j in 0..<(count - i) { p[i + j] = r[j] }
    }
}
