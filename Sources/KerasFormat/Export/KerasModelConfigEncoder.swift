/// The `model_config` JSON of a Keras 3 Functional model, in the form Keras 3
/// itself writes into legacy `.h5` files: each layer with `class_name`,
/// `name`, `config` and `inbound_nodes` as `{"args": [...], "kwargs": {}}`
/// whose tensors are `__keras_tensor__` objects naming `[layer, 0, 0]`.
enum KerasModelConfigEncoder {
    static func encode(name: String, layers: [KerasLayerSpec], outputs: [ExportedTensor]) -> JSONValue {
        let input = layers.first { $0.className == "InputLayer" }!
        func ref(_ layer: String) -> JSONValue { .array([.string(layer), .number(0), .number(0)]) }
        let config: [String: JSONValue] = [
            "name": .string(name),
            "trainable": .bool(true),
            "layers": .array(layers.map(layerEntry)),
            "input_layers": ref(input.name),
            "output_layers": outputs.count == 1 ? ref(outputs[0].layer) : .array(outputs.map { ref($0.layer) }),
        ]
        return .object(["class_name": .string("Functional"), "config": .object(config)])
    }

    private static func layerEntry(_ layer: KerasLayerSpec) -> JSONValue {
        var config = layer.config
        config["name"] = .string(layer.name)
        config["dtype"] = .string("float32")
        if layer.className != "InputLayer" { config["trainable"] = .bool(layer.trainable) }
        let tensors = layer.inputs.map(tensorEntry)
        let inbound: [JSONValue] = layer.inputs.isEmpty ? [] : [.object([
            "args": .array(layer.takesList ? [.array(tensors)] : tensors),
            "kwargs": .object([:]),
        ])]
        return .object([
            "class_name": .string(layer.className),
            "name": .string(layer.name),
            "config": .object(config),
            "inbound_nodes": .array(inbound),
        ])
    }

    private static func tensorEntry(_ t: ExportedTensor) -> JSONValue {
        .object([
            "class_name": .string("__keras_tensor__"),
            "config": .object([
                "shape": .array(t.shape.map { $0.map { .number(Double($0)) } ?? .null }),
                "dtype": .string("float32"),
                "keras_history": .array([.string(t.layer), .number(0), .number(0)]),
            ]),
        ])
    }
}
