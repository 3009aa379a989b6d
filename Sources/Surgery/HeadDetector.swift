import GraphIR
import TensorCore

/// Finds the classification head: the trailing chain of dense layers (Gemm,
/// MatMul + bias Add) with the Flatten/Reshape/Dropout/activation nodes around
/// them, that reads the output of the last global pooling.
public enum HeadDetector {
    /// The head of `graph`'s first output, or `nil` when the graph does not end
    /// in a dense layer. `graph.valueTypes` should be inferred.
    public static func detect(in graph: Graph) -> ClassificationHead? {
        guard let output = graph.outputs.first else { return nil }
        var chain: [Int] = []
        var value = output
        // Walk back from the output through nodes a head is made of.
        while let index = graph.producer(of: value), isHeadOp(graph.nodes[index], in: graph),
              graph.consumers(of: value).allSatisfy({ chain.contains($0) }) || value == output {
            chain.append(index)
            value = graph.nodes[index].inputs.first { !$0.isEmpty && graph.parameters[$0] == nil } ?? ""
            if value.isEmpty { return nil }
        }
        chain.reverse()
        // The head begins at its first dense layer, together with the dropout right before it;
        // reshapes that flatten the pooled features stay with the backbone.
        guard let firstDense = chain.firstIndex(where: { isDense(graph.nodes[$0].op) }) else { return nil }
        var start = firstDense
        while start > 0, case .dropout = graph.nodes[chain[start - 1]].op { start -= 1 }
        let headNodes = Array(chain[start...])
        let headStart = graph.nodes[headNodes[0]]
        let cutValue = headStart.inputs[0]

        let dense = headNodes.compactMap { denseLayer(graph.nodes[$0], in: graph) }
        guard let last = dense.last else { return nil }
        let activation = headNodes.reversed().lazy.compactMap { activationName(graph.nodes[$0].op) }.first ?? "none"

        let cutNode = graph.producer(of: cutValue)
        let pooling = poolingBefore(cutValue, in: graph)
        return ClassificationHead(
            nodes: headNodes.map { graph.nodes[$0].name }, dense: dense, activation: activation,
            classes: last.outputFeatures, cutValue: cutValue, cutNode: cutNode.map { graph.nodes[$0].name },
            featureShape: graph.type(of: cutValue)?.shape.description ?? "?", pooling: pooling)
    }

    private static func isHeadOp(_ node: Node, in graph: Graph) -> Bool {
        switch node.op {
        case .gemm, .matMul, .flatten, .reshape, .dropout, .identity, .cast, .softmax, .sigmoid, .relu, .clip, .squeeze:
            return true
        case .add:
            // A bias add: one operand is a parameter.
            return node.inputs.contains { graph.parameters[$0] != nil }
        default:
            return false
        }
    }

    private static func isDense(_ op: Op) -> Bool {
        switch op {
        case .gemm, .matMul: true
        default: false
        }
    }

    private static func activationName(_ op: Op) -> String? {
        switch op {
        case .softmax: "softmax"
        case .sigmoid: "sigmoid"
        case .gemm, .matMul: "none"
        default: nil
        }
    }

    /// Input and output features of a Gemm or MatMul whose weight is a parameter.
    private static func denseLayer(_ node: Node, in graph: Graph) -> ClassificationHead.Dense? {
        switch node.op {
        case .gemm(let a):
            guard let w = graph.constant(node.inputs[1]), w.rank == 2 else { return nil }
            return .init(node: node.name, inputFeatures: a.transB ? w.shape[1] : w.shape[0],
                         outputFeatures: a.transB ? w.shape[0] : w.shape[1])
        case .matMul:
            guard let w = graph.constant(node.inputs[1]), w.rank == 2 else { return nil }
            return .init(node: node.name, inputFeatures: w.shape[0], outputFeatures: w.shape[1])
        default:
            return nil
        }
    }

    /// The global pooling the features come from, looking back through reshapes.
    private static func poolingBefore(_ value: String, in graph: Graph) -> String? {
        var current = value
        while let index = graph.producer(of: current) {
            let node = graph.nodes[index]
            switch node.op {
            case .globalAveragePool, .reduceMean:
                return node.name
            case .flatten, .reshape, .squeeze, .identity, .dropout, .transpose, .cast:
                current = node.inputs[0]
            default:
                return nil
            }
        }
        return nil
    }
}
