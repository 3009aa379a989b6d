import GraphIR
import TensorCore

/// Folds `batchNorm(conv2d(x, W, b))` into `conv2d(x, W', b')` with
/// `s = scale / sqrt(var + eps)`, `W'[o] = W[o] * s[o]`, `b' = (b - mean) * s + bias`
/// (`b = 0` when the convolution has none).
///
/// Preconditions: the conv output is read only by this batch norm and is not a
/// graph output; `W` and all four batch-norm inputs are constants, each of the
/// latter of shape `[O]`.
///
/// `foldTrainable` (default true, for inference): with `false` the fold also
/// requires that neither the batch norm's nor the convolution's parameters are
/// trainable. Training calls it with `false` because folding merges tensors the
/// optimizer updates separately — a trainable BN's scale and shift would vanish
/// into `W'` — and re-parameterises a trainable conv (`W' = W * s` receives
/// gradients scaled by `1/s`), so training would no longer do what the user
/// configured. Frozen regions fold freely: their outputs are identical.
public struct FoldBatchNormIntoConv: GraphRule {
    public let name = "fold-batchnorm-into-conv"
    public var foldTrainable: Bool

    public init(foldTrainable: Bool = true) {
        self.foldTrainable = foldTrainable
    }

    public func matches(_ bn: Int, in g: Graph) -> Bool {
        guard case .batchNorm = g.nodes[bn].op, let conv = g.producer(ofInput: 0, of: bn),
              case .conv2d = g.nodes[conv].op,
              g.isOnlyUsed(g.nodes[bn].inputs[0], by: bn),         // conv output used only by this BN, not a graph output
              let w = g.floatConstant(g.nodes[conv].inputs[1]), w.rank == 4,
              ChannelAffine(batchNorm: g.nodes[bn], in: g, channels: w.shape[0]) != nil else { return false }
        if let bias = bias(of: conv, in: g) {
            guard let b = g.floatConstant(bias), b.shape == [w.shape[0]] else { return false }
        }
        return foldTrainable || g.foldKeepsTrainingIntact(bn, into: conv)
    }

    public func apply(_ bn: Int, in g: inout Graph) throws {
        let conv = g.producer(ofInput: 0, of: bn)!
        let weightName = g.nodes[conv].inputs[1]
        let w = g.floatConstant(weightName)!
        let outChannels = w.shape[0]
        let affine = ChannelAffine(batchNorm: g.nodes[bn], in: g, channels: outChannels)!
        let perChannel = w.elementCount / outChannels
        let scaled = w.scalars.enumerated().map { Float(Double($0.element) * affine.scale[$0.offset / perChannel]) }
        let weight = g.parameters[weightName]!
        g.nodes[conv].inputs[1] = g.replaceParameter(weightName, readBy: conv, with: Tensor(shape: w.shape, scalars: scaled),
                                                     role: weight.role, trainable: weight.trainable)

        let oldBias = bias(of: conv, in: g)
        let b = oldBias.map { g.floatConstant($0)!.scalars.map(Double.init) } ?? Array(repeating: 0, count: outChannels)
        let newBias = Tensor(shape: [outChannels], scalars: (0..<outChannels).map { Float(b[$0] * affine.scale[$0] + affine.shift[$0]) })
        let biasName: String
        if let oldBias {
            let p = g.parameters[oldBias]!
            biasName = g.replaceParameter(oldBias, readBy: conv, with: newBias, role: p.role, trainable: p.trainable)
        } else {
            biasName = g.addParameter(newBias, named: g.nodes[conv].name + ".bias", role: .weight,
                                      trainable: g.trainableFlag(of: weightName))
        }
        while g.nodes[conv].inputs.count < 3 { g.nodes[conv].inputs.append("") }
        g.nodes[conv].inputs[2] = biasName
        g.removeFoldedBatchNorm(bn, into: conv)
    }

    private func bias(of conv: Int, in g: Graph) -> String? {
        let inputs = g.nodes[conv].inputs
        return inputs.count > 2 && !inputs[2].isEmpty ? inputs[2] : nil
    }
}
