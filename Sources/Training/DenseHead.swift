import Surgery

/// A Dense classification head on features `[n, C]`: optional Dense(hidden) + ReLU,
/// optional dropout, then Dense(units) whose outputs are logits — one unit for a
/// binary sigmoid head, `K` for a softmax. This is what `GraftHead` attaches to
/// the graph; `initial` draws the same Glorot-uniform weights from the same seed.
public struct DenseHead: Sendable, Equatable, Codable {
    public enum Output: String, Sendable, Codable { case sigmoid, softmax }

    public var features: Int
    public var hidden: Int?
    public var units: Int
    public var output: Output
    public var dropout: Double
    /// Parameters in order: [hidden weight, hidden bias,] weight, bias; weights `[out, in]`.
    public var parameters: [[Double]]

    /// Glorot-uniform weights (hidden layer first) and zero biases, exactly as `GraftHead(seed:)`.
    public static func initial(features: Int, hidden: Int?, units: Int, output: Output, dropout: Double, seed: UInt64) -> DenseHead {
        var generator = GlorotUniform(seed: seed)
        var parameters: [[Double]] = []
        var width = features
        if let hidden {
            parameters.append(generator.denseWeight(fanIn: features, fanOut: hidden).scalars.map(Double.init))
            parameters.append([Double](repeating: 0, count: hidden))
            width = hidden
        }
        parameters.append(generator.denseWeight(fanIn: width, fanOut: units).scalars.map(Double.init))
        parameters.append([Double](repeating: 0, count: units))
        return DenseHead(features: features, hidden: hidden, units: units, output: output, dropout: dropout, parameters: parameters)
    }

    /// Which parameters weight decay applies to (weights, not biases).
    public var decays: [Bool] { parameters.indices.map { $0 % 2 == 0 } }

    /// Logits `[n, units]` (dropout off: inference).
    public func logits(_ x: [Double], rows n: Int) -> [Double] {
        var h = x, width = features, p = 0
        if let hidden {
            h = HeadMath.relu(HeadMath.dense(h, rows: n, inputs: width, weight: parameters[0], bias: parameters[1]))
            width = hidden; p = 2
        }
        return HeadMath.dense(h, rows: n, inputs: width, weight: parameters[p], bias: parameters[p + 1])
    }

    /// Class probabilities `[n, K]`; a sigmoid head gives `[1 − p, p]` per row.
    public func probabilities(_ x: [Double], rows n: Int) -> [Double] {
        let z = logits(x, rows: n)
        switch output {
        case .sigmoid: return z.flatMap { let p = HeadMath.sigmoid($0); return [1 - p, p] }
        case .softmax: return HeadMath.softmax(z, classes: units)
        }
    }

    /// The loss of `x` with `labels` and its gradient for every parameter (training mode:
    /// dropout from `random` when `dropout > 0`).
    public func lossAndGradients(_ x: [Double], rows n: Int, labels: [Int], weights: [Double]?, smoothing: Double,
                                 random: inout SeededRandom?) -> (loss: Double, gradients: [[Double]]) {
        let r = lossAndGradients(x, rows: n, labels: labels, weights: weights, smoothing: smoothing, random: &random,
                                 inputGradient: false)
        return (r.loss, r.gradients)
    }

    /// As above, and with `inputGradient` also `∂loss/∂x` `[n, features]` — what fine-tuning
    /// passes back into the backbone (empty otherwise).
    public func lossAndGradients(_ x: [Double], rows n: Int, labels: [Int], weights: [Double]?, smoothing: Double,
                                 random: inout SeededRandom?, inputGradient: Bool)
        -> (loss: Double, gradients: [[Double]], input: [Double]) {
        var h = x, width = features, p = 0
        var preActivation: [Double] = [], mask: [Double]? = nil
        if let hidden {
            preActivation = HeadMath.dense(h, rows: n, inputs: width, weight: parameters[0], bias: parameters[1])
            h = HeadMath.relu(preActivation)
            width = hidden; p = 2
        }
        if dropout > 0, var r = random {
            mask = HeadMath.dropoutMask(count: h.count, ratio: dropout, random: &r)
            random = r
            h = HeadMath.dropout(h, mask: mask!)
        }
        let z = HeadMath.dense(h, rows: n, inputs: width, weight: parameters[p], bias: parameters[p + 1])
        let (loss, dz) = output == .sigmoid
            ? Loss.binaryCrossEntropy(logits: z, labels: labels, weights: weights, smoothing: smoothing)
            : Loss.softmaxCrossEntropy(logits: z, classes: units, labels: labels, weights: weights, smoothing: smoothing)
        let last = HeadMath.denseBackward(h, rows: n, inputs: width, weight: parameters[p], outputs: units,
                                          gradient: dz, needInput: hidden != nil || inputGradient)
        guard let hidden else {
            let dx = mask.map { HeadMath.dropout(last.dx, mask: $0) } ?? last.dx
            return (loss, [last.dw, last.db], inputGradient ? dx : [])
        }
        var dh = last.dx
        if let mask { dh = HeadMath.dropout(dh, mask: mask) }
        dh = HeadMath.reluBackward(preActivation, gradient: dh)
        let first = HeadMath.denseBackward(x, rows: n, inputs: features, weight: parameters[0], outputs: hidden,
                                           gradient: dh, needInput: inputGradient)
        return (loss, [first.dw, first.db, last.dw, last.db], first.dx)
    }
}
