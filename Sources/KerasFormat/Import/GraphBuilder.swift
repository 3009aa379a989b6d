import GraphIR
import TensorCore

/// Accumulates nodes, parameters and value types while layers are imported.
/// Rank-4 values are NCHW (Keras' NHWC, transposed once at the input); values
/// of any other rank keep Keras' axis order.
struct GraphBuilder {
    var graph: Graph
    private var usedNames = UniqueNames()

    init(graph: Graph) { self.graph = graph }

    /// A name not used yet by any value: `base`, or `base_1`, `base_2`, ….
    mutating func uniqueName(_ base: String) -> String {
        usedNames.claim(base)
    }

    mutating func input(_ name: String, shape: Shape) -> String {
        let value = uniqueName(name)
        graph.inputs.append(GraphInput(name: value, type: ValueType(.float32, shape)))
        graph.valueTypes[value] = ValueType(.float32, shape)
        return value
    }

    /// Adds one single-output node named `name` (made unique) and returns its output value.
    mutating func node(_ op: Op, _ inputs: [String], shape: Shape, name: String, layer: String) -> String {
        let value = uniqueName(name)
        graph.nodes.append(Node(name: value, op: op, inputs: inputs, outputs: [value], layer: layer))
        graph.valueTypes[value] = ValueType(.float32, shape)
        return value
    }

    mutating func parameter(_ name: String, _ tensor: Tensor, role: ParameterRole, trainable: Bool = true) -> String {
        let value = uniqueName(name)
        graph.parameters[value] = Parameter(tensor, role: role, trainable: trainable)
        return value
    }

    func shape(of value: String) -> Shape {
        graph.type(of: value)?.shape ?? Shape([])
    }
}

/// The batch dimension of every imported value.
let batchDim = Dim.symbol("batch")
