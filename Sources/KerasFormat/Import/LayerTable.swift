/// Translates one call of one Keras layer into IR nodes; returns the output value.
typealias LayerImporter = @Sendable (LayerCall, inout GraphBuilder) throws(KerasImportError) -> String

/// Every Keras layer class Graft translates. `InputLayer` and nested models
/// (`KerasModelConfig.modelClassNames`) are handled by the importer itself.
let kerasLayerImporters: [String: LayerImporter] = [
    "Conv2D": importConv2D,
    "DepthwiseConv2D": importDepthwiseConv2D,
    "SeparableConv2D": importSeparableConv2D,
    "BatchNormalization": importBatchNormalization,
    "ReLU": importReLU,
    "Activation": importActivation,
    "Softmax": importSoftmax,
    "ZeroPadding2D": importZeroPadding2D,
    "Add": importElementwise(.add),
    "Multiply": importElementwise(.mul),
    "Concatenate": importConcatenate,
    "GlobalAveragePooling2D": importGlobalAveragePooling2D,
    "AveragePooling2D": importPool(max: false),
    "MaxPooling2D": importPool(max: true),
    "Dense": importDense,
    "Dropout": importDropout,
    "Flatten": importFlatten,
    "Reshape": importReshape,
    "Rescaling": importRescaling,
]

/// Why a class has no importer, for the few users are likely to meet.
let knownUnsupportedReasons: [String: String] = [
    "KerasLayer": "a TensorFlow Hub layer: its architecture is not stored in the file, only its weights",
    "TFOpLambda": "a raw TensorFlow operation recorded by tf.keras",
    "Lambda": "arbitrary Python code that the file does not describe",
]

/// Every layer (nested models included) whose class or activation has no
/// translation, so that one error can list them all.
func unsupportedLayers(in model: KerasModelConfig, prefix: String?) -> [UnsupportedLayer] {
    var found: [UnsupportedLayer] = []
    for layer in model.layers {
        let path = prefix.map { "\($0)/\(layer.name)" } ?? layer.name
        if let nested = layer.nested {
            found += unsupportedLayers(in: nested, prefix: path)
        } else if layer.className == "InputLayer" {
            continue
        } else if kerasLayerImporters[layer.className] == nil {
            let reason = knownUnsupportedReasons[layer.className] ?? "no importer for layer class '\(layer.className)'"
            found.append(UnsupportedLayer(layer: path, className: layer.className, reason: reason))
        } else if let activation = activationName(layer.config["activation"]), !supportedActivations.contains(activation) {
            found.append(UnsupportedLayer(layer: path, className: layer.className,
                                          reason: "activation '\(activation)' is not supported"))
        }
    }
    return found
}
