import TensorCore

/// A Keras tensor as the exporter tracks it: the layer that produces it and
/// its Keras shape (`nil` for the batch and other unknown sizes; NHWC for images).
struct ExportedTensor: Equatable {
    var layer: String
    var shape: [Int?]
}

/// How an IR value exists on the Keras side.
enum ExportedValue: Equatable {
    /// The same tensor; a rank-4 IR value (NCHW) is this Keras tensor's (NHWC) transpose.
    case tensor(ExportedTensor)
    /// A rank-4 IR value whose elements are already in NHWC order, i.e. exactly
    /// this Keras tensor: the output of the importer's `<layer>/to_nhwc`
    /// transpose, or of a Reshape to three dims before its transpose back.
    case nhwc(ExportedTensor)
}

/// One layer of the exported Functional model, in Keras' own terms: class,
/// config (without `name`, `trainable` and `dtype`, which the encoder adds),
/// the tensors it reads and its weights in Keras' order and layout.
struct KerasLayerSpec {
    var className: String
    var name: String
    var config: [String: JSONValue]
    var inputs: [ExportedTensor]
    /// Merge layers (Add, Multiply, Concatenate) take their inputs as one list.
    var takesList = false
    /// `(variable, tensor)`: Conv2D `kernel, bias`; BatchNormalization `gamma,
    /// beta, moving_mean, moving_variance`; … — Keras' creation order.
    var weights: [(name: String, tensor: Tensor)] = []
    var trainable = true
    var outputShape: [Int?]
}
