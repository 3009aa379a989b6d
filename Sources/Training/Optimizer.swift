import Foundation

/// How a head is trained: full-batch L-BFGS for a linear head, or a first-order optimizer
/// over a list of flat parameter arrays (`Optimizer`) for any head.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    /// Full-batch L-BFGS on the L2-regularised loss of a linear head (`LBFGS`, `LinearHeadProblem`):
    /// one iteration per epoch, no learning rate, mini-batches or momentum.
    case lbfgs
    /// SGD with (heavy-ball) momentum; weight decay is added to the gradient (L2).
    case sgd
    /// Adam (Kingma & Ba 2015); weight decay is added to the gradient (L2).
    case adam
    /// AdamW (Loshchilov & Hutter 2019): weight decay applied to the weights directly.
    case adamw
}

public struct Optimizer: Sendable, Codable, Equatable {
    public var kind: OptimizerKind
    public var momentum: Double
    public var beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7
    public var weightDecay: Double
    private var first: [[Double]] = []
    private var second: [[Double]] = []
    private var steps = 0

    /// `kind` is a first-order optimizer (not `.lbfgs`).
    public init(_ kind: OptimizerKind, momentum: Double = 0.9, weightDecay: Double = 0) {
        precondition(kind != .lbfgs, "L-BFGS is LBFGS, not a first-order Optimizer")
        self.kind = kind
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// One update with learning rate `lr`; `decays[i]` says whether weight decay applies to parameter i,
    /// `lrScales[i]` (default 1) multiplies the rate for parameter i (per-block rates in fine-tuning).
    public mutating func step(_ parameters: inout [[Double]], gradients: [[Double]], lr: Double, decays: [Bool],
                              lrScales: [Double]? = nil) {
        if first.isEmpty {
            first = parameters.map { [Double](repeating: 0, count: $0.count) }
            second = first
        }
        steps += 1
        let t = Double(steps)
        let correction1 = 1 - pow(beta1, t), correction2 = 1 - pow(beta2, t)
        for p in parameters.indices {
            let wd = decays[p] ? weightDecay : 0
            let rate = lr * (lrScales?[p] ?? 1)
            let (kind, momentum, beta1, beta2, epsilon) = (kind, momentum, beta1, beta2, epsilon)
            parameters[p].withUnsafeMutableBufferPointer { w in
                first[p].withUnsafeMutableBufferPointer { m in
                    second[p].withUnsafeMutableBufferPointer { v in
                        gradients[p].withUnsafeBufferPointer { grad in
                            // One loop per kind (no branch inside), so the compiler can vectorise it.
                            switch kind {
                            case .lbfgs:
                                preconditionFailure("L-BFGS is LBFGS, not a first-order Optimizer")
                            case .sgd:
                                for i in 0..<w.count {
                                    m[i] = momentum * m[i] + (grad[i] + wd * w[i])
                                    w[i] -= rate * m[i]
                                }
                            case .adam, .adamw:
                                let coupled = kind == .adam ? wd : 0, decoupled = kind == .adamw ? rate * wd : 0
                                for i in 0..<w.count {
                                    let g = grad[i] + coupled * w[i]
                                    m[i] = beta1 * m[i] + (1 - beta1) * g
                                    v[i] = beta2 * v[i] + (1 - beta2) * g * g
                                    let mHat = m[i] / correction1
                                    let vHat = v[i] / correction2
                                    w[i] -= decoupled * w[i]
                                    w[i] -= rate * mHat / (vHat.squareRoot() + epsilon)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The learning rate over training: a linear warm-up from `base / warmupSteps`
/// to `base` over the first `warmupSteps` steps, then cosine decay to 0 at
/// `totalSteps`, or steps of `× gamma` every `stepEvery` steps.
public struct LearningRateSchedule: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case constant, cosine, step }
    public var kind: Kind
    public var base: Double
    public var totalSteps: Int
    public var warmupSteps: Int
    public var stepEvery: Int
    public var gamma: Double

    public init(_ kind: Kind, base: Double, totalSteps: Int, warmupSteps: Int = 0, stepEvery: Int = 1, gamma: Double = 0.1) {
        self.kind = kind
        self.base = base
        self.totalSteps = max(totalSteps, 1)
        self.warmupSteps = max(warmupSteps, 0)
        self.stepEvery = max(stepEvery, 1)
        self.gamma = gamma
    }

    /// The rate for step `s` (0-based).
    public func rate(at s: Int) -> Double {
        if s < warmupSteps { return base * Double(s + 1) / Double(warmupSteps) }
        switch kind {
        case .constant:
            return base
        case .cosine:
            let span = max(totalSteps - warmupSteps, 1)
            let progress = min(Double(s - warmupSteps) / Double(span), 1)
            return base * 0.5 * (1 + cos(Double.pi * progress))
        case .step:
            return base * pow(gamma, Double((s - warmupSteps) / stepEvery))
        }
    }
}
