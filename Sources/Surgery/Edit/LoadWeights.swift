import GraphIR

/// Copies parameter values from one graph into another by name — for example
/// weights trained elsewhere into a graph Graft has edited. Both graphs are in
/// the IR's layouts (the importers converted each file), so a name match with
/// equal shapes is a faithful copy. Roles and trainable flags of the target stay.
public struct LoadWeights {
    public struct Report: Sendable, Equatable {
        /// Parameters whose values were replaced.
        public var matched: [String]
        /// Target weights and statistics the source has no tensor for (they keep their values).
        public var missingInSource: [String]
        /// Source weights and statistics the target has no parameter for (ignored).
        public var unusedFromSource: [String]
    }

    public init() {}

    /// Replaces every weight and statistic of `target` that `source` has under the same name —
    /// or, for names that differ only in a nesting prefix (a Keras model flattened on export:
    /// `mobilenetv2_1.00_160/Conv1/kernel` vs `Conv1/kernel`), the same `layer/weight` ending
    /// when that ending is unique on both sides. Throws before changing anything when a
    /// matched pair has different shapes, or when nothing matches (never a silent partial load).
    public func apply(from source: Graph, to target: inout Graph) throws(SurgeryError) -> Report {
        func learned(_ g: Graph) -> [String] {
            g.parameters.filter { $0.value.role != .constant }.keys.sorted()
        }
        let wanted = learned(target), offered = learned(source)
        var pairs: [(target: String, source: String)] = []
        let offeredSet = Set(offered)
        for name in wanted where offeredSet.contains(name) { pairs.append((name, name)) }

        func ending(_ name: String) -> String { name.split(separator: "/").suffix(2).joined(separator: "/") }
        func uniqueEndings(_ names: [String]) -> [String: String] {
            var seen: [String: [String]] = [:]
            for n in names { seen[ending(n), default: []].append(n) }
            return seen.compactMapValues { $0.count == 1 ? $0[0] : nil }
        }
        let taken = Set(pairs.map(\.target))
        let targetEndings = uniqueEndings(wanted.filter { !taken.contains($0) })
        let sourceEndings = uniqueEndings(offered.filter { !taken.contains($0) })
        for (end, t) in targetEndings.sorted(by: { $0.key < $1.key }) {
            if let s = sourceEndings[end] { pairs.append((t, s)) }
        }

        for (t, s) in pairs {
            let have = target.parameters[t]!.tensor.shape, got = source.parameters[s]!.tensor.shape
            guard have == got else { throw .weightShapeMismatch(name: t, model: have, source: got) }
        }
        guard !pairs.isEmpty else {
            throw .noWeightsMatched(sourceExamples: Array(offered.prefix(3)), modelExamples: Array(wanted.prefix(3)))
        }
        for (t, s) in pairs { target.parameters[t]!.tensor = source.parameters[s]!.tensor }
        let matchedTargets = Set(pairs.map(\.target)), matchedSources = Set(pairs.map(\.source))
        return Report(matched: pairs.map(\.target).sorted(),
                      missingInSource: wanted.filter { !matchedTargets.contains($0) },
                      unusedFromSource: offered.filter { !matchedSources.contains($0) })
    }
}
