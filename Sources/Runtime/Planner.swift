import GraphIR
import TensorCore

/// Turns a graph into an `ExecutionPlan`.
///
/// For each set of concrete input shapes the plan (1) infers every shape,
/// (2) evaluates the constant and shape subgraphs once (`ConstantFolding`),
/// dropping no-op casts, identities and dropouts, (3) folds per-channel
/// affine ops (BatchNorm, or its Sub/Mul/Add spelling) into the preceding
/// convolution and fuses activation epilogues and zero pads (`PlanFusion`),
/// (4) picks a layout per value and a kernel per node (`PlanBuilder`), and
/// (5) assigns buffers from value lifetimes (`BufferAssignment`). Folded
/// constants are bounded by `FoldLimit`, activations by `ActivationLimit`:
/// both are checked before anything of that size is allocated.
public enum Planner {
    /// Compiles `graph`. A symbolic batch dimension is resolved from `batchSize`
    /// when given, otherwise from each run's inputs (one compiled plan per
    /// batch size, cached). Throws `RuntimeError` for ops or configurations
    /// the runtime cannot execute (checked here with the given batch size, or 1).
    public static func compile(_ graph: Graph, batchSize: Int? = nil) throws -> ExecutionPlan {
        let plan = ExecutionPlan(graph: graph, batchSize: batchSize)
        _ = try plan.compiled(for: plan.inputShapes(batch: batchSize ?? 1))
        return plan
    }
}

/// A node left after folding: one output, inputs renamed through removed no-ops.
struct LoweredNode {
    var name: String
    var op: Op
    var inputs: [String]
    var output: String
    /// Convolution weights and bias with everything folded in so far.
    var conv: ConvParameters?
    /// Fused epilogue activation (conv, gemm, binary ops).
    var activation: Activation = .none
    /// Convolutions only: a value added to the output before the activation
    /// (a fused residual `add`), and the transpose that maps it to the conv's
    /// logical NCHW axes.
    var residual: (value: String, perm: [Int])?

    /// A node the fusion passes turned into a pure alias of its first input.
    var isAlias: Bool { if case .identity = op { true } else { false } }
    var isTranspose: Bool { if case .transpose = op { true } else { false } }
}

/// A convolution's constants in IR order: weight OIHW, bias `[O]`, explicit pads `[t, l, b, r]`.
struct ConvParameters {
    var weight: [Float]
    var weightShape: [Int]
    var bias: [Float]
    var pads: [Int]
}

/// The graph with concrete shapes, folded constants and no-ops removed.
struct LoweredGraph {
    var nodes: [LoweredNode] = []
    var constants: [String: Tensor] = [:]
    var shapes: [String: [Int]] = [:]
    /// Graph output name to the value that holds it.
    var outputs: [(name: String, value: String)] = []
    var inputs: [(name: String, shape: [Int])] = []
    /// Folded constants computed from a run-time value's batch size (through `shape`).
    var batchDependent: Set<String> = []

    init(graph: Graph, inputShapes: [String: [Int]]) throws {
        var g = graph
        g.inputs = graph.inputs.map { GraphInput(name: $0.name, type: ValueType($0.type.dtype, Shape(known: inputShapes[$0.name]!))) }
        g.valueTypes = [:]
        do { try ShapeInference.infer(&g) } catch { throw RuntimeError.invalidGraph(reason: "\(error)") }
        for (name, p) in graph.parameters { constants[name] = p.tensor }
        inputs = g.inputs.map { ($0.name, inputShapes[$0.name]!) }
        for input in inputs {
            try ActivationLimit.check("input \(input.name)", shape: input.shape)
            shapes[input.name] = input.shape
        }
        let foldLimit = FoldLimit.maxElements(for: graph)

        var rename: [String: String] = [:]
        func resolve(_ name: String) -> String { name.isEmpty ? name : (rename[name] ?? name) }

        for node in g.nodes {
            let inputs = node.inputs.map(resolve)
            guard let output = node.outputs.first else { continue }
            guard let type = g.valueTypes[output], let outShape = type.shape.knownSizes else {
                throw RuntimeError.unresolvedShape(value: output, shape: "\(g.valueTypes[output]?.shape.description ?? "?")")
            }
            var inputShapes: [[Int]?] = []
            for name in inputs {
                inputShapes.append(name.isEmpty ? nil : (constants[name]?.shape ?? shapes[name]))
            }
            let known = inputs.map { $0.isEmpty ? nil : constants[$0] }
            let allKnown = zip(inputs, known).allSatisfy { $0.0.isEmpty || $0.1 != nil }
            var folded = node
            folded.inputs = inputs
            if allKnown || { if case .shape = node.op { return true } else { return false } }() {
                if let t = try ConstantFolding.evaluate(folded, inputs: known, shapes: inputShapes, outputShape: outShape,
                                                        limit: foldLimit) {
                    constants[output] = t
                    var fromBatch = inputs.contains { batchDependent.contains($0) }
                    if case .shape(let start, _) = node.op, constants[inputs[0]] == nil, start == 0 || -start == inputShapes[0]?.count {
                        fromBatch = true
                    }
                    if fromBatch { batchDependent.insert(output) }
                    continue
                }
            }
            try ActivationLimit.check("value \(output) of node \(node.name) (\(node.op.name))", shape: outShape)
            shapes[output] = outShape
            switch node.op {
            case .identity, .dropout:
                rename[output] = inputs[0]
                shapes[output] = nil
                continue
            case .cast(let to):
                guard to.isFloatingPoint else {
                    throw RuntimeError.unsupported(node: node.name, op: node.op.name,
                                                   reason: "casting a run-time value to \(to) (integer values exist only at plan time)")
                }
                rename[output] = inputs[0]
                shapes[output] = nil
                continue
            default: break
            }
            var lowered = LoweredNode(name: node.name, op: node.op, inputs: inputs, output: output)
            if case .conv2d(let a) = node.op {
                lowered.conv = try Self.convParameters(node: node, attributes: a, inputs: inputs, constants: constants,
                                                       inputShape: shapes[inputs[0]] ?? [])
            }
            nodes.append(lowered)
        }
        outputs = graph.outputs.map { ($0, resolve($0)) }
    }

    private static func convParameters(node: Node, attributes a: Conv2DAttributes, inputs: [String],
                                       constants: [String: Tensor], inputShape: [Int]) throws -> ConvParameters {
        guard inputs.count > 1, let w = constants[inputs[1]] else {
            throw RuntimeError.unsupported(node: node.name, op: node.op.name, reason: "the weight must be a constant")
        }
        var bias = [Float](repeating: 0, count: w.shape[0])
        if inputs.count > 2, !inputs[2].isEmpty {
            guard let b = constants[inputs[2]] else {
                throw RuntimeError.unsupported(node: node.name, op: node.op.name, reason: "the bias must be a constant")
            }
            bias = b.scalars
        }
        let pads = Padding.explicitPads(a.autoPad, pads: a.pads, inputHW: Array(inputShape[2...3]), kernel: a.kernel,
                                        strides: a.strides, dilations: a.dilations)
        return ConvParameters(weight: w.scalars, weightShape: w.shape, bias: bias, pads: pads)
    }

    /// How many lowered nodes read each value, plus one per graph output.
    func useCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for n in nodes { for i in n.inputs where !i.isEmpty { counts[i, default: 0] += 1 } }
        for o in outputs { counts[o.value, default: 0] += 1 }
        return counts
    }
}
