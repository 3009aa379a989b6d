import GraphIR

/// Which weights stay trainable. Every selection sets the flag of every weight
/// (statistics and constants are never trainable), so the result does not
/// depend on earlier freezing.
public enum FreezeSelection: Sendable, Equatable {
    /// Freeze every weight read by node X or any node X depends on; train the rest.
    /// X is resolved as by `NodeLookup` (a layer means its last node).
    case before(String)
    /// Freeze the weights whose names match the glob (`*` = any run of
    /// characters, `/` included; `?` = one character); train the rest.
    case pattern(String)
    /// Train the last K blocks of `BlockFinder` (not counting `head`) and the
    /// head; freeze the rest. K = 0 trains only the head.
    case trainLastBlocks(Int)
    /// Freeze every weight.
    case all
    /// Train every weight.
    case none
}

/// Sets `Parameter.trainable` on weights by a `FreezeSelection`.
public struct Freeze: Sendable {
    public var selection: FreezeSelection

    public init(_ selection: FreezeSelection) {
        self.selection = selection
    }

    /// The weights that will be trainable after `apply`. Pure.
    public func trainableWeights(in graph: Graph) throws(SurgeryError) -> Set<String> {
        let weights = Set(graph.parameters.filter { $0.value.role == .weight }.keys)
        switch selection {
        case .all:
            return []
        case .none:
            return weights
        case .pattern(let glob):
            let frozen = weights.filter { Self.glob(glob, matches: $0) }
            guard !frozen.isEmpty else { throw .patternMatchesNothing(glob) }
            return weights.subtracting(frozen)
        case .before(let name):
            let value = try NodeLookup.value(named: name, in: graph)
            return weights.subtracting(Self.weightsComputing(value, in: graph))
        case .trainLastBlocks(let k):
            let blocks = BlockFinder.blocks(in: graph)
            let body = blocks.filter { $0.name != "head" && $0.name != "stem" }
            guard k >= 0, k <= body.count else { throw .notEnoughBlocks(requested: k, available: body.count) }
            let trained = Array(body.suffix(k)) + blocks.filter { $0.name == "head" }
            let trainedNodes = Set(trained.flatMap(\.nodes))
            var result = Set<String>()
            for node in graph.nodes where trainedNodes.contains(node.name) {
                result.formUnion(node.inputs.filter { weights.contains($0) })
            }
            // A weight shared with a frozen block stays frozen.
            for node in graph.nodes where !trainedNodes.contains(node.name) {
                result.subtract(node.inputs)
            }
            return result
        }
    }

    /// Sets the flags and reports the new totals.
    @discardableResult
    public func apply(to graph: inout Graph) throws(SurgeryError) -> FreezeReport {
        let trainable = try trainableWeights(in: graph)
        for name in graph.parameters.keys where graph.parameters[name]!.role == .weight {
            graph.parameters[name]!.trainable = trainable.contains(name)
        }
        return FreezeReport(graph)
    }

    /// Weights read by the producer of `value` and every node it depends on.
    static func weightsComputing(_ value: String, in graph: Graph) -> Set<String> {
        var needed: Set<String> = [value]
        var weights = Set<String>()
        for node in graph.nodes.reversed() where node.outputs.contains(where: needed.contains) {
            for input in node.inputs where !input.isEmpty {
                needed.insert(input)
                if graph.parameters[input]?.role == .weight { weights.insert(input) }
            }
        }
        return weights
    }

    /// Glob matching with `*` (any run, possibly empty) and `?` (one character).
    public static func glob(_ pattern: String, matches name: String) -> Bool {
        let p = Array(pattern), s = Array(name)
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count, p[pi] == "?" || p[pi] == s[si] {
                pi += 1; si += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = si; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// The names an optimizer receives: trainable weights, sorted.
    public static func optimizerParameters(of graph: Graph) -> [String] {
        graph.parameters.filter { $0.value.role == .weight && $0.value.trainable }.keys.sorted()
    }
}

/// Trainable and frozen totals after freezing (elements of weights; statistics not counted).
public struct FreezeReport: Sendable, Equatable {
    public var trainableWeights: Int
    public var frozenWeights: Int
    public var trainableParameters: Int
    public var frozenParameters: Int

    public init(_ graph: Graph) {
        var r = (tw: 0, fw: 0, tp: 0, fp: 0)
        for p in graph.parameters.values where p.role == .weight && p.countsAsParameter {
            if p.trainable { r.tw += 1; r.tp += p.tensor.elementCount } else { r.fw += 1; r.fp += p.tensor.elementCount }
        }
        trainableWeights = r.tw
        frozenWeights = r.fw
        trainableParameters = r.tp
        frozenParameters = r.fp
    }
}
