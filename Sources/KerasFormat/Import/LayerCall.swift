import GraphIR
import TensorCore

/// One call of one Keras layer, as a layer importer sees it.
struct LayerCall {
    var layer: KerasLayerConfig
    /// `outer/inner` for layers of nested models; names nodes and parameters.
    var path: String
    /// IR values read by the call, in Keras' order.
    var inputs: [String]
    var inputShapes: [Shape]
    var weights: LayerWeights
    /// False when the layer or an enclosing model is frozen.
    var trainable: Bool
    /// 2 for tf.keras files, 3 for Keras 3 (changes `hard_sigmoid`).
    var kerasMajorVersion: Int

    var config: LayerConfigReader { LayerConfigReader(layer: layer) }

    /// The only input; layers with one input use this.
    func single() throws(KerasImportError) -> (value: String, shape: Shape) {
        guard inputs.count == 1 else {
            throw .badLayerConfig(layer: path, className: layer.className, key: "inbound_nodes",
                                  reason: "needs exactly one input, got \(inputs.count)")
        }
        return (inputs[0], inputShapes[0])
    }

    /// `[C, H, W]` of an NCHW input with known sizes (convolutions and pools need them).
    func spatialInput() throws(KerasImportError) -> (value: String, channels: Int, height: Int, width: Int) {
        let (x, shape) = try single()
        guard shape.rank == 4, let c = shape[1].value, let h = shape[2].value, let w = shape[3].value else {
            throw .unsupportedShape(layer: path, className: layer.className, shape: "\(shape)",
                                    reason: "needs a 4-D image tensor with known channels, height and width")
        }
        return (x, c, h, w)
    }

    /// Adds a learned weight of this layer as a parameter named `path/name`.
    func weight(_ name: String, _ tensor: Tensor, into builder: inout GraphBuilder) -> String {
        builder.parameter("\(path)/\(name)", tensor, role: .weight, trainable: trainable)
    }
}

/// A layer's stored weights, matched to the names its config implies.
struct LayerWeights {
    var layer: String
    var stored: [KerasWeight]

    /// The tensors for `expected` variable names, in that order. Matched by
    /// name when the file's names are exactly those (legacy files), else by
    /// position (Keras 3 `vars/<i>`, which follow the same order).
    func resolve(_ expected: [String]) throws(KerasImportError) -> [Tensor] {
        let found = stored.map(\.variableName)
        guard found.count == expected.count else {
            throw .weightCount(layer: layer, expected: expected, found: stored.map(\.name))
        }
        if Set(found) == Set(expected), Set(found).count == found.count {
            return expected.map { name in stored.first { $0.variableName == name }!.tensor }
        }
        return stored.map(\.tensor)
    }

    /// Throws `.weightShape` unless `tensor` has `shape`.
    func check(_ tensor: Tensor, _ name: String, is shape: [Int]) throws(KerasImportError) {
        guard tensor.shape == shape else {
            throw .weightShape(layer: layer, weight: name, expected: shape, found: tensor.shape)
        }
    }
}
