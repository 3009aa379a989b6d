/// The order in which Keras lists a Functional model's layers
/// (`model.layers`), which is also the order in which a legacy `.h5` file's
/// weights are matched to layers on loading.
///
/// Keras walks the graph depth-first from the outputs, visiting each layer's
/// inputs in order, and numbers layers when first seen. A layer's depth is the
/// longest path from it to an output. Layers are listed by decreasing depth,
/// ties by that number. Writing the config and `layer_names` in this order
/// makes the file's order and the loaded model's order the same.
enum KerasLayerOrder {
    static func sorted(_ layers: [KerasLayerSpec], outputs: [String]) -> [KerasLayerSpec] {
        var byName: [String: KerasLayerSpec] = [:]
        for layer in layers { byName[layer.name] = layer }
        var firstSeen: [String: Int] = [:]
        var finished: Set<String> = []
        var postOrder: [String] = []

        func visit(_ name: String) {
            guard !finished.contains(name), let layer = byName[name] else { return }
            if firstSeen[name] == nil { firstSeen[name] = firstSeen.count }
            for input in layer.inputs { visit(input.layer) }
            finished.insert(name)
            postOrder.append(name)
        }
        for output in outputs { visit(output) }

        var depth: [String: Int] = [:]
        for name in postOrder.reversed() {
            let d = depth[name, default: 0]
            depth[name] = d
            for input in byName[name]!.inputs {
                depth[input.layer] = max(depth[input.layer, default: 0], d + 1)
            }
        }
        return postOrder.sorted {
            (depth[$0]!, -firstSeen[$0]!) > (depth[$1]!, -firstSeen[$1]!)
        }.map { byName[$0]! }
    }
}
