import Foundation
import TensorCore

/// Elementwise activations (relu, clip/ReLU6, sigmoid, hard sigmoid, hard swish,
/// swish, identity): any layout, the output keeps the input's.
final class ActivationKernel: Kernel {
    enum Function {
        case relu, clip(Float, Float), sigmoid, hardSigmoid(Float, Float), hardSwish, swish, identity
    }

    let node: NodeRef
    let f: Function

    init(_ node: NodeRef, _ f: Function) { self.node = node; self.f = f }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]]
        let x = UnsafePointer(xs.data.pointer)
        let y = e.output(node.outputs[0], shape: xs.shape, cnhw: xs.cnhw)
        let f = self.f
        Parallel.forRanges(xs.count, work: xs.count * 4) { r in
            switch f {
            case .relu: for i in r { y[i] = max(x[i], 0) }
            case let .clip(lo, hi): for i in r { y[i] = min(max(x[i], lo), hi) }
            case .sigmoid: for i in r { y[i] = 1 / (1 + exp(-x[i])) }
            case let .hardSigmoid(a, b): for i in r { y[i] = min(max(a * x[i] + b, 0), 1) }
            case .hardSwish: for i in r { y[i] = x[i] * min(max(x[i] / 6 + 0.5, 0), 1) }
            case .swish: for i in r { y[i] = x[i] / (1 + exp(-x[i])) }
            case .identity: for i in r { y[i] = x[i] }
            }
        }
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0]
        guard e.slots[xi].needsGrad else { return }
        let xs = e.slots[xi], ys = e.slots[node.outputs[0]]
        let x = UnsafePointer(xs.data.pointer), y = UnsafePointer(ys.data.pointer)
        let dy = e.grad(node.outputs[0], cnhw: xs.cnhw, key: 0)
        let (dx, assign) = e.gradTarget(xi)
        let f = self.f
        Parallel.forRanges(xs.count, work: xs.count * 4) { r in
            // d = dy * f'(x); written as `assign ? d : dx + d`.
            @inline(__always) func put(_ i: Int, _ d: Float) { dx[i] = assign ? d : dx[i] + d }
            switch f {
            case .relu: for i in r { put(i, x[i] > 0 ? dy[i] : 0) }
            case let .clip(lo, hi): for i in r { put(i, x[i] > lo && x[i] < hi ? dy[i] : 0) }
            case .sigmoid: for i in r { put(i, dy[i] * y[i] * (1 - y[i])) }
            case let .hardSigmoid(a, b):
                for i in r { let t = a * x[i] + b; put(i, t > 0 && t < 1 ? dy[i] * a : 0) }
            case .hardSwish:
                for i in r {
                    let v = x[i]
                    put(i, v <= -3 ? 0 : v >= 3 ? dy[i] : dy[i] * (v / 3 + 0.5))
                }
            case .swish:
                for i in r { let s = 1 / (1 + exp(-x[i])); put(i, dy[i] * s * (1 + x[i] * (1 - s))) }
            case .identity: for i in r { put(i, dy[i]) }
            }
        }
    }
}

/// Dropout: identity at inference; in training, zeroes each element with
/// probability `ratio` and scales the rest by `1 / (1 - ratio)` (mask seeded).
final class DropoutKernel: Kernel {
    let node: NodeRef
    let ratio: Float
    var generator: SplitMix64
    var mask: [Float] = []
    var active = false

    init(_ node: NodeRef, ratio: Float, seed: UInt64) {
        self.node = node
        self.ratio = ratio
        self.generator = SplitMix64(seed: seed)
    }

    func forward(_ e: Engine) throws {
        let xs = e.slots[node.inputs[0]]
        let x = xs.data.pointer
        let y = e.output(node.outputs[0], shape: xs.shape, cnhw: xs.cnhw)
        active = e.training && ratio > 0
        guard active else { y.update(from: x, count: xs.count); return }
        let keep = 1 / (1 - ratio)
        if mask.count != xs.count { mask = [Float](repeating: 0, count: xs.count) }
        for i in 0..<xs.count {
            mask[i] = generator.nextFloatUnit() < ratio ? 0 : keep
            y[i] = x[i] * mask[i]
        }
    }

    func backward(_ e: Engine) throws {
        let xi = node.inputs[0]
        guard e.slots[xi].needsGrad else { return }
        let xs = e.slots[xi]
        let dy = e.grad(node.outputs[0], cnhw: xs.cnhw, key: 0)
        let (dx, assign) = e.gradTarget(xi)
        for i in 0..<xs.count {
            let d = active ? dy[i] * mask[i] : dy[i]
            dx[i] = assign ? d : dx[i] + d
        }
    }
}

