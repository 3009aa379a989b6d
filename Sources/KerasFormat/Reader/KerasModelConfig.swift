/// One output of one call of a layer: Keras' `[layer_name, node_index, tensor_index]`.
public struct KerasTensorRef: Sendable, Equatable {
    public var layer: String
    public var nodeIndex: Int
    public var tensorIndex: Int

    public init(layer: String, nodeIndex: Int = 0, tensorIndex: Int = 0) {
        self.layer = layer
        self.nodeIndex = nodeIndex
        self.tensorIndex = tensorIndex
    }
}

/// One layer of a model config: its class, name, raw `config` dictionary, the
/// tensors each of its calls reads, and the inner model when it is one.
public struct KerasLayerConfig: Sendable {
    public var className: String
    public var name: String
    public var config: [String: JSONValue]
    /// One entry per call of the layer, each listing the tensors it reads in order.
    public var inboundNodes: [[KerasTensorRef]]
    /// Set for nested `Functional`/`Model`/`Sequential` layers.
    public var nested: KerasModelConfig?

    public init(className: String, name: String, config: [String: JSONValue],
                inboundNodes: [[KerasTensorRef]] = [], nested: KerasModelConfig? = nil) {
        self.className = className
        self.name = name
        self.config = config
        self.inboundNodes = inboundNodes
        self.nested = nested
    }
}

/// A decoded `model_config` / `config.json`. Sequential models are turned into
/// a chain: an `InputLayer` first (synthesised as `<name>_input` when the file
/// has none) and each layer reading the previous one.
public struct KerasModelConfig: Sendable {
    public enum Kind: String, Sendable { case functional, sequential }

    public var kind: Kind
    public var name: String
    public var layers: [KerasLayerConfig]
    public var inputs: [KerasTensorRef]
    public var outputs: [KerasTensorRef]

    /// Class names that are whole models and get inlined.
    public static let modelClassNames: Set<String> = ["Functional", "Model", "Sequential"]

    /// Models nested inside models deeper than this are refused (Keras applications nest
    /// two or three levels; every level costs recursion in the reader and importer).
    public static let maxNestingDepth = 32

    public init(kind: Kind, name: String, layers: [KerasLayerConfig], inputs: [KerasTensorRef], outputs: [KerasTensorRef]) {
        self.kind = kind
        self.name = name
        self.layers = layers
        self.inputs = inputs
        self.outputs = outputs
    }

    public func layer(named name: String) -> KerasLayerConfig? {
        layers.first { $0.name == name }
    }

    /// Decodes `{"class_name": "Functional" | "Sequential" | "Model", "config": {…}}`.
    public static func parse(_ json: JSONValue, source: String) throws(KerasImportError) -> KerasModelConfig {
        guard let className = json["class_name"]?.string, let config = json["config"]?.object else {
            throw .badConfig(source: source, reason: "expected an object with 'class_name' and 'config'")
        }
        guard modelClassNames.contains(className) else {
            throw .badConfig(source: source, reason: "the top-level class is '\(className)', not a Functional or Sequential model")
        }
        return try parseModel(className: className, config: config, source: source, depth: 0)
    }

    static func parseModel(className: String, config: [String: JSONValue], source: String,
                           depth: Int) throws(KerasImportError) -> KerasModelConfig {
        let name = config["name"]?.string ?? className.lowercased()
        guard depth <= maxNestingDepth else {
            throw .badConfig(source: source, reason: "model '\(name)' is nested \(depth) models deep, more than the limit of \(maxNestingDepth)")
        }
        guard let rawLayers = config["layers"]?.array else {
            throw .badConfig(source: source, reason: "model '\(name)' has no 'layers' list")
        }
        var layers: [KerasLayerConfig] = []
        for raw in rawLayers { layers.append(try parseLayer(raw, model: name, source: source, depth: depth)) }
        if className == "Sequential" { return sequentialChain(name: name, layers: layers) }
        let inputs = try tensorRefs(config["input_layers"], what: "input_layers of '\(name)'", source: source)
        let outputs = try tensorRefs(config["output_layers"], what: "output_layers of '\(name)'", source: source)
        guard !inputs.isEmpty, !outputs.isEmpty else {
            throw .badConfig(source: source, reason: "model '\(name)' lists no inputs or no outputs")
        }
        return KerasModelConfig(kind: .functional, name: name, layers: layers, inputs: inputs, outputs: outputs)
    }

    static func parseLayer(_ raw: JSONValue, model: String, source: String,
                           depth: Int) throws(KerasImportError) -> KerasLayerConfig {
        guard let className = raw["class_name"]?.string, let config = raw["config"]?.object else {
            throw .badConfig(source: source, reason: "a layer of '\(model)' lacks 'class_name' or 'config'")
        }
        guard let name = raw["name"]?.string ?? config["name"]?.string else {
            throw .badConfig(source: source, reason: "a \(className) layer of '\(model)' has no name")
        }
        var inbound: [[KerasTensorRef]] = []
        for node in raw["inbound_nodes"]?.array ?? [] {
            inbound.append(try inboundRefs(node, layer: name, source: source))
        }
        let nested = modelClassNames.contains(className)
            ? try parseModel(className: className, config: config, source: source, depth: depth + 1) : nil
        return KerasLayerConfig(className: className, name: name, config: config, inboundNodes: inbound, nested: nested)
    }

    /// One inbound node. Keras 2: `[["name", 0, 0, {}], …]`. Keras 3:
    /// `{"args": [...], "kwargs": {...}}` with `__keras_tensor__` objects (possibly
    /// inside lists) carrying `keras_history`; kwargs are ignored.
    static func inboundRefs(_ node: JSONValue, layer: String, source: String) throws(KerasImportError) -> [KerasTensorRef] {
        if let args = node["args"] {
            var refs: [KerasTensorRef] = []
            try collectKerasTensors(args, into: &refs, layer: layer, source: source)
            return refs
        }
        guard let entries = node.array else {
            throw .badConfig(source: source, reason: "inbound node of layer '\(layer)' is neither a list nor an args object")
        }
        var refs: [KerasTensorRef] = []
        for entry in entries {
            guard let ref = tensorRef(entry) else {
                throw .badConfig(source: source, reason: "inbound node of layer '\(layer)' has a malformed entry")
            }
            refs.append(ref)
        }
        return refs
    }

    private static func collectKerasTensors(_ value: JSONValue, into refs: inout [KerasTensorRef],
                                            layer: String, source: String) throws(KerasImportError) {
        switch value {
        case .array(let items):
            for item in items { try collectKerasTensors(item, into: &refs, layer: layer, source: source) }
        case .object:
            guard value["class_name"]?.string == "__keras_tensor__" else { return }
            guard let history = value["config"]?["keras_history"], let ref = tensorRef(history) else {
                throw .badConfig(source: source, reason: "a keras tensor read by layer '\(layer)' has no valid keras_history")
            }
            refs.append(ref)
        default:
            return
        }
    }

    /// `["name", node, tensor]` or `["name", node, tensor, {kwargs}]`.
    static func tensorRef(_ value: JSONValue) -> KerasTensorRef? {
        guard let items = value.array, items.count >= 3, let name = items[0].string,
              let node = items[1].int, let tensor = items[2].int else { return nil }
        return KerasTensorRef(layer: name, nodeIndex: node, tensorIndex: tensor)
    }

    /// `input_layers` / `output_layers`: one `[name, node, tensor]` or a list of them.
    static func tensorRefs(_ value: JSONValue?, what: String, source: String) throws(KerasImportError) -> [KerasTensorRef] {
        guard let value else { throw .badConfig(source: source, reason: "\(what) is missing") }
        if let single = tensorRef(value) { return [single] }
        guard let items = value.array else { throw .badConfig(source: source, reason: "\(what) is not a list") }
        var refs: [KerasTensorRef] = []
        for item in items {
            guard let ref = tensorRef(item) else { throw .badConfig(source: source, reason: "\(what) has a malformed entry") }
            refs.append(ref)
        }
        return refs
    }

    static func sequentialChain(name: String, layers raw: [KerasLayerConfig]) -> KerasModelConfig {
        var layers = raw
        if layers.first?.className != "InputLayer" {
            var config: [String: JSONValue] = ["name": .string("\(name)_input")]
            if let shape = layers.first?.config["batch_input_shape"] ?? layers.first?.config["batch_shape"] {
                config["batch_shape"] = shape
            }
            layers.insert(KerasLayerConfig(className: "InputLayer", name: "\(name)_input", config: config), at: 0)
        }
        for i in layers.indices.dropFirst() {
            layers[i].inboundNodes = [[KerasTensorRef(layer: layers[i - 1].name)]]
        }
        layers[0].inboundNodes = []
        return KerasModelConfig(kind: .sequential, name: name, layers: layers,
                                inputs: [KerasTensorRef(layer: layers[0].name)],
                                outputs: [KerasTensorRef(layer: layers[layers.count - 1].name)])
    }
}
