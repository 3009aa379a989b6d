import GraphIR
import TensorCore

/// `Reshape(x, Concat(Unsqueeze(Gather(Shape(v), 0)), c…))` → `Reshape(x, [0, c…])` when `v`
/// and `x` share their first dimension (the batch): PyTorch's `x.view(x.size(0), -1)` exported
/// to ONNX reads the batch size from the *input image*, a value a graph cut after the input
/// cannot see. Reshape's `0` copies the dimension from `x`, so the result is the same for every
/// batch size and the shape arithmetic no longer reaches back to the input.
///
/// Not in `Simplifier.passes`: fine-tuning runs it so that the trailing blocks of such a
/// backbone have one input (their boundary); exports keep the graph as imported.
public struct ReshapeBatchFromShape: GraphRule {
    public let name = "reshape-batch-from-shape"

    public init() {}

    public func matches(_ node: Int, in graph: Graph) -> Bool {
        replacement(for: node, in: graph) != nil
    }

    public func apply(_ node: Int, in graph: inout Graph) throws {
        guard let values = replacement(for: node, in: graph) else { return }
        let shape = graph.addParameter(Tensor(shape: [values.count], int64s: values.map(Int64.init)),
                                       named: graph.nodes[node].name + "/shape", role: .constant, trainable: false)
        graph.nodes[node].inputs[1] = shape
    }

    /// The constant shape to use, or nil when the node is not this pattern.
    private func replacement(for node: Int, in graph: Graph) -> [Int]? {
        let n = graph.nodes[node]
        guard case .reshape = n.op, n.inputs.count == 2, graph.constant(n.inputs[1]) == nil,
              let concat = graph.producer(ofInput: 1, of: node), case .concat(axis: 0) = graph.nodes[concat].op,
              let batch = graph.type(of: n.inputs[0])?.shape.dims.first else { return nil }
        var values: [Int] = []
        for part in graph.nodes[concat].inputs {
            if let c = graph.intConstant(part) {
                values += c
            } else if values.isEmpty, let source = batchSource(part, in: graph),
                      graph.type(of: source)?.shape.dims.first == batch {
                values.append(0)
            } else {
                return nil
            }
        }
        return values.contains(0) ? values : nil
    }

    /// `v` when `value` is `Unsqueeze(Gather(Shape(v), 0), axes: [0])` or `Gather(Shape(v), [0])`.
    private func batchSource(_ value: String, in graph: Graph) -> String? {
        guard var p = graph.producer(of: value) else { return nil }
        if case .unsqueeze(let axes) = graph.nodes[p].op {
            guard axes == [0], let inner = graph.producer(ofInput: 0, of: p) else { return nil }
            p = inner
        }
        guard case .gather(axis: 0) = graph.nodes[p].op, graph.nodes[p].inputs.count == 2,
              let index = graph.intConstant(graph.nodes[p].inputs[1]), index == [0],
              let shapeNode = graph.producer(ofInput: 0, of: p),
              case .shape(start: 0, _) = graph.nodes[shapeNode].op else { return nil }
        return graph.nodes[shapeNode].inputs[0]
    }
}
