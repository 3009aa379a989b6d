import GraphIR

/// Finds the value a user means by a name on the command line.
///
/// A name is tried, in order, as a node name (its first output), a value a
/// node produces, a Keras layer path as in `Node.layer` (the output of the
/// layer's last node), and the last component of such a path when only one
/// layer has it. Graph inputs and parameters are not cut points.
public enum NodeLookup {
    /// The node-produced value `name` stands for.
    public static func value(named name: String, in graph: Graph) throws(SurgeryError) -> String {
        if let node = graph.nodes.first(where: { $0.name == name }), let out = node.outputs.first(where: { !$0.isEmpty }) {
            return out
        }
        if graph.producer(of: name) != nil { return name }
        if let out = lastOutput(ofLayer: { $0 == name }, in: graph) { return out }
        let byLastComponent = Set(graph.nodes.compactMap(\.layer).filter { lastComponent($0) == name })
        if byLastComponent.count == 1, let layer = byLastComponent.first,
           let out = lastOutput(ofLayer: { $0 == layer }, in: graph) {
            return out
        }
        if graph.parameters[name] != nil || graph.inputs.contains(where: { $0.name == name }) {
            throw .cutAtNonNode(name)
        }
        throw .unknownName(name, suggestions: NameSuggestions.closest(to: name, in: candidateNames(in: graph)))
    }

    /// Every name `value(named:in:)` accepts.
    public static func candidateNames(in graph: Graph) -> [String] {
        var names = graph.nodes.map(\.name)
        names += graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty }
        let layers = Set(graph.nodes.compactMap(\.layer))
        names += layers
        names += layers.map(lastComponent)
        return names
    }

    private static func lastOutput(ofLayer matches: (String) -> Bool, in graph: Graph) -> String? {
        graph.nodes.last { $0.layer.map(matches) ?? false }?.outputs.first { !$0.isEmpty }
    }

    static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
