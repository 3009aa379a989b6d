import GraphIR
import TensorCore

/// Folds `batchNorm(gemm(A, B, C))` on a `[N, O]` output into the gemm:
/// with `s = scale / sqrt(var + eps)`, output column `o` of `B` (row `o` when
/// `transB`) is multiplied by `s[o]`, and `C' = s * (beta * C - mean) + bias`
/// with `beta' = 1`.
///
/// Preconditions: the gemm output is read only by this batch norm and is not a
/// graph output; `B` is a 2-D constant; `C`, if present, is a constant of
/// shape `[]`, `[1]`, `[O]` or `[1, O]`; the batch-norm inputs are constants of
/// shape `[O]`. `foldTrainable` as in `FoldBatchNormIntoConv`.
public struct FoldBatchNormIntoGemm: GraphRule {
    public let name = "fold-batchnorm-into-gemm"
    public var foldTrainable: Bool

    public init(foldTrainable: Bool = true) {
        self.foldTrainable = foldTrainable
    }

    public func matches(_ bn: Int, in g: Graph) -> Bool {
        guard case .batchNorm = g.nodes[bn].op, let gemm = g.producer(ofInput: 0, of: bn),
              case .gemm(let a) = g.nodes[gemm].op,
              g.isOnlyUsed(g.nodes[bn].inputs[0], by: bn),
              let b = g.floatConstant(g.nodes[gemm].inputs[1]), b.rank == 2 else { return false }
        let outFeatures = a.transB ? b.shape[0] : b.shape[1]
        guard ChannelAffine(batchNorm: g.nodes[bn], in: g, channels: outFeatures) != nil else { return false }
        if let c = bias(of: gemm, in: g) {
            guard let t = g.floatConstant(c), [[], [1], [outFeatures], [1, outFeatures]].contains(t.shape) else { return false }
        }
        return foldTrainable || g.foldKeepsTrainingIntact(bn, into: gemm)
    }

    public func apply(_ bn: Int, in g: inout Graph) throws {
        let gemm = g.producer(ofInput: 0, of: bn)!
        guard case .gemm(var a) = g.nodes[gemm].op else { return }
        let weightName = g.nodes[gemm].inputs[1]
        let b = g.floatConstant(weightName)!
        let outFeatures = a.transB ? b.shape[0] : b.shape[1]
        let affine = ChannelAffine(batchNorm: g.nodes[bn], in: g, channels: outFeatures)!
        let columns = b.shape[1]
        let scaled = b.scalars.enumerated().map { i, v -> Float in
            let o = a.transB ? i / columns : i % columns
            return Float(Double(v) * affine.scale[o])
        }
        let weight = g.parameters[weightName]!
        g.nodes[gemm].inputs[1] = g.replaceParameter(weightName, readBy: gemm, with: Tensor(shape: b.shape, scalars: scaled),
                                                     role: weight.role, trainable: weight.trainable)

        let oldBias = bias(of: gemm, in: g)
        let c: [Double] = oldBias.map { name in
            let values = g.floatConstant(name)!.scalars.map(Double.init)
            return values.count == 1 ? Array(repeating: values[0], count: outFeatures) : values
        } ?? Array(repeating: 0, count: outFeatures)
        let beta = Double(a.beta)
        let newBias = Tensor(shape: [outFeatures],
                             scalars: (0..<outFeatures).map { Float(beta * c[$0] * affine.scale[$0] + affine.shift[$0]) })
        let biasName: String
        if let oldBias {
            let p = g.parameters[oldBias]!
            biasName = g.replaceParameter(oldBias, readBy: gemm, with: newBias, role: p.role, trainable: p.trainable)
        } else {
            biasName = g.addParameter(newBias, named: g.nodes[gemm].name + ".bias", role: .weight,
                                      trainable: g.trainableFlag(of: weightName))
        }
        while g.nodes[gemm].inputs.count < 3 { g.nodes[gemm].inputs.append("") }
        g.nodes[gemm].inputs[2] = biasName
        a.beta = 1
        g.nodes[gemm].op = .gemm(a)
        g.removeFoldedBatchNorm(bn, into: gemm)
    }

    private func bias(of gemm: Int, in g: Graph) -> String? {
        let inputs = g.nodes[gemm].inputs
        return inputs.count > 2 && !inputs[2].isEmpty ? inputs[2] : nil
    }
}
