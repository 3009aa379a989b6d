import GraphIR
import TensorCore

/// Replaces every node whose result is known before run time by a parameter
/// of the same name holding that result.
///
/// A result is known when (1) `ShapeInference.knownValues` knows all of its
/// integer elements — e.g. `Gather(Shape(x), 2)` is 224 even though the batch
/// is a symbol — or (2) every input is a parameter or an already folded value
/// and `ConstantEvaluator` can compute the op (data movement, shape ops,
/// arithmetic). The new parameter's role is the strongest of its inputs'
/// (`weight` > `statistic` > `constant`) and it is trainable when any input was.
///
/// It also rewrites a reshape whose target is known except for symbols equal to
/// the input's dimension at the same index (`Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])`)
/// to the constant target with `0` ("copy the input's dimension") there.
///
/// Not folded: identity and dropout (`RemoveIdentities` rewires them without
/// copying the tensor), graph outputs, results larger than both their inputs
/// and `growthAllowance` elements (a `ConstantOfShape` must not bloat the model;
/// checked before the result is computed, so that it cannot exhaust memory either),
/// float16/float64 results, and — with `foldTrainable == false` — anything
/// computed from a trainable parameter, which must stay a separate tensor for
/// the optimizer.
public struct FoldConstants: GraphPass {
    public let name = "fold-constants"
    public var foldTrainable: Bool
    static let growthAllowance = 4096

    public init(foldTrainable: Bool = true) {
        self.foldTrainable = foldTrainable
    }

    public func run(on graph: inout Graph) throws -> Int {
        var typed = graph
        try ShapeInference.infer(&typed)
        let known = try ShapeInference.knownValues(graph)
        var folded: [String: (value: ConstantValue, role: ParameterRole, trainable: Bool)] = [:]
        var foldedNodes = Set<Int>()
        var newTargets: [Int: [Int]] = [:]

        for (index, node) in graph.nodes.enumerated() {
            guard node.outputs.count == 1 else { continue }
            if case .reshape = node.op, let target = symbolicReshapeTarget(node, known: known, types: typed) {
                newTargets[index] = target
                continue
            }
            let out = node.outputs[0]
            guard !graph.isOutput(out) else { continue }
            switch node.op {
            case .identity, .dropout: continue
            default: break
            }
            if let value = knownInteger(out, known: known, types: typed) {
                folded[out] = (value, .constant, false)
                foldedNodes.insert(index)
                continue
            }
            let names = node.inputs.filter { !$0.isEmpty }
            guard !names.isEmpty,
                  names.allSatisfy({ graph.parameters[$0] != nil || folded[$0] != nil }) else { continue }
            var role = ParameterRole.constant
            var trainable = false
            var inputs: [ConstantValue?] = []
            var inputCount = 0
            for name in node.inputs {
                if name.isEmpty { inputs.append(nil); continue }
                let (value, r, t) = folded[name] ?? {
                    let p = graph.parameters[name]!
                    return (ConstantValue(p.tensor), p.role, p.trainable)
                }()
                inputs.append(value)
                inputCount += value.count
                role = strongest(role, r)
                trainable = trainable || t
            }
            if trainable && !foldTrainable { continue }
            // Bounded before evaluating: a tiny file's ConstantOfShape([100000, 100000]) is never computed.
            guard let value = ConstantEvaluator.evaluate(node.op, inputs, maxElements: max(inputCount, Self.growthAllowance)),
                  value.tensor != nil else { continue }
            folded[out] = (value, role, trainable)
            foldedNodes.insert(index)
        }

        for (index, target) in newTargets {
            let name = graph.addParameter(Tensor(shape: [target.count], int64s: target.map { Int64($0) }),
                                          named: graph.nodes[index].inputs[1] + "_static", role: .constant, trainable: false)
            graph.nodes[index].inputs[1] = name
        }
        for index in foldedNodes {
            let out = graph.nodes[index].outputs[0]
            let (value, role, trainable) = folded[out]!
            graph.parameters[out] = Parameter(value.tensor!, role: role, trainable: trainable)
        }
        graph.nodes = graph.nodes.enumerated().filter { !foldedNodes.contains($0.offset) }.map(\.element)
        return foldedNodes.count + newTargets.count
    }

    /// The value of an integer node output that shape inference fully knows.
    private func knownInteger(_ value: String, known: [String: KnownValue], types: Graph) -> ConstantValue? {
        guard let k = known[value], let ints = k.ints, let type = types.valueTypes[value],
              !type.dtype.isFloatingPoint else { return nil }
        return ConstantValue(dtype: type.dtype, shape: k.shape, elements: .ints(ints.map { Int64($0) }))
    }

    /// The reshape target with each symbolic element that equals the input's
    /// dimension at its index replaced by 0, when every other element is known.
    private func symbolicReshapeTarget(_ node: Node, known: [String: KnownValue], types: Graph) -> [Int]? {
        guard node.inputs.count == 2, let target = known[node.inputs[1]], target.ints == nil,
              let input = types.type(of: node.inputs[0]) else { return nil }
        var result: [Int] = []
        for (i, element) in target.elements.enumerated() {
            switch element {
            case .known(let n): result.append(n)
            case .symbol:
                guard i < input.shape.rank, input.shape[i] == element else { return nil }
                result.append(0)
            }
        }
        return result
    }

    private func strongest(_ a: ParameterRole, _ b: ParameterRole) -> ParameterRole {
        if a == .weight || b == .weight { return .weight }
        if a == .statistic || b == .statistic { return .statistic }
        return .constant
    }
}
