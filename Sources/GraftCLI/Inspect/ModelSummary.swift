import GraphIR
import Surgery
import TensorCore

/// What `graft inspect` reports about a model; printed as a table or as JSON
/// (the JSON shape is documented in `Docs/cli-inspect.md`).
struct ModelSummary: Codable {
    struct Value: Codable {
        var name: String
        var dtype: String
        var shape: String
    }

    /// One row per layer (Keras) or per node (ONNX).
    struct Row: Codable {
        var name: String
        var op: String
        var outputShape: String
        var parameters: Int
        var trainableParameters: Int
        /// "yes", "no", "partly", or "-" when the row has no parameters.
        var trainable: String
    }

    /// One block of `BlockFinder`: name, first and last node, weight elements.
    struct BlockRow: Codable {
        var name: String
        var firstNode: String
        var lastNode: String
        var parameters: Int
    }

    struct Totals: Codable {
        var parameters: Int
        var trainable: Int
        var nonTrainable: Int
        /// Of `nonTrainable`: BatchNorm moving means and variances.
        var statistics: Int
        var parameterBytes: Int
        var nodes: Int
        var ops: [String: Int]
    }

    var name: String
    var file: String
    var format: String
    var producer: String
    var inputs: [Value]
    var outputs: [Value]
    var rows: [Row]
    var totals: Totals
    var head: ClassificationHead?
    /// The units `graft freeze --train-last-blocks` counts (`BlockFinder`).
    var blocks: [BlockRow]
    /// The node to pass to `graft cut --at` to keep the feature extractor.
    var suggestedCut: String?

    init(graph: Graph, file: String) {
        name = graph.name
        self.file = file
        format = graph.metadata.sourceFormat
        producer = graph.metadata.producer
        inputs = graph.inputs.map { Value(name: $0.name, dtype: $0.type.dtype.rawValue, shape: $0.type.shape.description) }
        outputs = graph.outputs.map { name in
            let t = graph.type(of: name)
            return Value(name: name, dtype: t?.dtype.rawValue ?? "?", shape: t?.shape.description ?? "?")
        }
        rows = ModelSummary.rows(of: graph)

        var totals = Totals(parameters: 0, trainable: 0, nonTrainable: 0, statistics: 0, parameterBytes: 0,
                            nodes: graph.nodes.count, ops: [:])
        for p in graph.parameters.values where p.countsAsParameter {
            let n = p.tensor.elementCount
            totals.parameters += n
            totals.parameterBytes += p.tensor.byteCount
            if p.trainable { totals.trainable += n } else { totals.nonTrainable += n }
            if p.role == .statistic { totals.statistics += n }
        }
        for node in graph.nodes { totals.ops[node.op.name, default: 0] += 1 }
        self.totals = totals

        head = HeadDetector.detect(in: graph)
        blocks = BlockFinder.blocks(in: graph).map {
            BlockRow(name: $0.name, firstNode: $0.firstNode, lastNode: $0.lastNode, parameters: $0.parameters)
        }
        suggestedCut = head?.cutNode
    }

    /// Groups consecutive nodes of one layer into a row; each parameter counts
    /// in the row of the first node that reads it.
    private static func rows(of graph: Graph) -> [Row] {
        var counted = Set<String>()
        var rows: [Row] = []
        var currentLayer: String? = nil
        for node in graph.nodes {
            var params = 0, trainable = 0
            for input in node.inputs {
                guard let p = graph.parameters[input], p.countsAsParameter, counted.insert(input).inserted else { continue }
                params += p.tensor.elementCount
                if p.trainable { trainable += p.tensor.elementCount }
            }
            let shape = node.outputs.first.flatMap { graph.type(of: $0)?.shape.description } ?? "?"
            if let layer = node.layer, layer == currentLayer, var last = rows.popLast() {
                last.op += "+" + node.op.name
                last.outputShape = shape
                last.parameters += params
                last.trainableParameters += trainable
                rows.append(last)
            } else {
                rows.append(Row(name: node.layer ?? node.name, op: node.op.name, outputShape: shape,
                                parameters: params, trainableParameters: trainable, trainable: ""))
            }
            currentLayer = node.layer
        }
        return rows.map { row in
            var r = row
            r.trainable = r.parameters == 0 ? "-" : r.trainableParameters == r.parameters ? "yes"
                : r.trainableParameters == 0 ? "no" : "partly"
            return r
        }
    }
}
