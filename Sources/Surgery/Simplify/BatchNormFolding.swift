import GraphIR
import TensorCore

/// A batch norm's per-channel effect `y = x * scale + shift`, computed in
/// double precision: `scale = gamma / sqrt(var + eps)`, `shift = beta - mean * scale`.
struct ChannelAffine {
    var scale: [Double]
    var shift: [Double]

    /// The affine form of batch-norm node `bn`, when all four of its
    /// parameters are constants of shape `[channels]`.
    init?(batchNorm bn: Node, in graph: Graph, channels: Int) {
        guard case .batchNorm(let eps) = bn.op, bn.inputs.count == 5 else { return nil }
        var vectors: [[Double]] = []
        for name in bn.inputs[1...] {
            guard let t = graph.floatConstant(name), t.shape == [channels] else { return nil }
            vectors.append(t.scalars.map(Double.init))
        }
        let (gamma, beta, mean, variance) = (vectors[0], vectors[1], vectors[2], vectors[3])
        let scale = (0..<channels).map { gamma[$0] / (variance[$0] + Double(eps)).squareRoot() }
        self.scale = scale
        shift = (0..<channels).map { beta[$0] - mean[$0] * scale[$0] }
        guard scale.allSatisfy(\.isFinite), shift.allSatisfy(\.isFinite) else { return nil }
    }

    init(scale: [Double], shift: [Double]) {
        self.scale = scale
        self.shift = shift
    }
}

extension Graph {
    /// Whether folding `bn` into `producer` keeps every tensor the optimizer
    /// trains separate: none of the batch norm's parameters and none of the
    /// producer's parameters is trainable.
    func foldKeepsTrainingIntact(_ bn: Int, into producer: Int) -> Bool {
        let names = nodes[bn].inputs.dropFirst() + nodes[producer].inputs.dropFirst()
        return !names.contains { !$0.isEmpty && isTrainable($0) }
    }

    /// Removes batch norm `bn`, giving its output name to `producer`'s output
    /// (whose only reader it was).
    mutating func removeFoldedBatchNorm(_ bn: Int, into producer: Int) {
        let out = nodes[bn].outputs[0]
        let type = valueTypes[out]
        valueTypes[nodes[producer].outputs[0]] = nil
        nodes[producer].outputs[0] = out
        nodes.remove(at: bn)
        if let type { valueTypes[out] = type }
    }

    /// The trainable flag a new bias gets: that of the weight it belongs with.
    func trainableFlag(of weight: String) -> Bool { parameters[weight]?.trainable ?? false }
}
