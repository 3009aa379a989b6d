import GraphIR
import TensorCore

/// `transpose(p)(pad(x, pads))` → `pad(transpose(p)(x), pads')` with the
/// begin and end pads of output axis `k` taken from input axis `p[k]`.
///
/// This brings a pad written in NHWC (open_nsfw pads its NHWC input, then
/// transposes to NCHW for the convolution) next to the convolution, where
/// `FoldPadIntoWindow` can absorb it. Preconditions: the pads are a constant
/// parameter and the pad's output is read only by this transpose.
public struct MovePadAfterTranspose: GraphRule {
    public let name = "move-pad-after-transpose"

    public init() {}

    public func matches(_ node: Int, in graph: Graph) -> Bool {
        guard let perm = graph.permutation(of: node), let pad = graph.producer(ofInput: 0, of: node),
              case .pad = graph.nodes[pad].op, graph.nodes[pad].inputs.count == 2,
              let pads = graph.intConstant(graph.nodes[pad].inputs[1]), pads.count == 2 * perm.count else { return false }
        return graph.isOnlyUsed(graph.nodes[node].inputs[0], by: node)
    }

    public func apply(_ node: Int, in graph: inout Graph) throws {
        let transpose = graph.nodes[node]
        let padIndex = graph.producer(ofInput: 0, of: node)!
        let pad = graph.nodes[padIndex]
        let perm = graph.permutation(of: node)!
        let pads = graph.intConstant(pad.inputs[1])!
        let rank = perm.count
        let moved = perm.map { pads[$0] } + perm.map { pads[$0 + rank] }
        let padsName = graph.addParameter(Tensor(shape: [2 * rank], int64s: moved.map { Int64($0) }),
                                          named: pad.inputs[1] + "_transposed", role: .constant, trainable: false)
        let transposed = graph.uniqueName(transpose.outputs[0] + "_unpadded")
        let newTranspose = Node(name: transpose.name, op: .transpose(perm: perm), inputs: [pad.inputs[0]],
                                outputs: [transposed], layer: transpose.layer)
        let newPad = Node(name: graph.uniqueName(pad.name + "_moved"), op: pad.op, inputs: [transposed, padsName],
                          outputs: transpose.outputs, layer: pad.layer)
        graph.nodes.replaceSubrange(node...node, with: [newTranspose, newPad])
        graph.valueTypes[transpose.outputs[0]] = nil
    }
}
