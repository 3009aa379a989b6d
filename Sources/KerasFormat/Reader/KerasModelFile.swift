import TensorCore

/// A Keras file decoded but not translated: the architecture and the stored
/// weights, in Keras' own layouts (NHWC, HWIO kernels, Dense `[in, out]`).
public struct KerasModelFile: Sendable {
    public enum Format: String, Sendable {
        /// Legacy HDF5 (`model.save("x.h5")`, Keras 2 and 3): `model_config` + `model_weights`.
        case legacyH5 = "keras-h5"
        /// Keras 3 zip (`.keras`): `config.json` + `model.weights.h5`.
        case kerasZip = "keras-zip"
        /// Keras 3 `.weights.h5` with a separate config JSON.
        case weightsH5 = "keras-weights-h5"
    }

    public var format: Format
    public var kerasVersion: String?
    public var backend: String?
    public var model: KerasModelConfig
    /// Weights by layer path (`outer/inner` inside nested models), each list in
    /// the order Keras stores them for that layer.
    public var weights: [String: [KerasWeight]]

    public init(format: Format, kerasVersion: String?, backend: String?, model: KerasModelConfig,
                weights: [String: [KerasWeight]]) {
        self.format = format
        self.kerasVersion = kerasVersion
        self.backend = backend
        self.model = model
        self.weights = weights
    }
}

/// One stored weight tensor of a layer.
public struct KerasWeight: Sendable {
    /// The name as stored, relative to its layer: `kernel`, `kernel:0`,
    /// `block_1/kernel` (legacy files) or `vars/0` (Keras 3 files).
    public var name: String
    /// Float32, in the stored (Keras) layout.
    public var tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }

    /// The variable's own name without scope and `:0` suffix (`gamma`, `kernel`, `0`).
    public var variableName: String {
        let last = name.split(separator: "/").last.map(String.init) ?? name
        if let colon = last.lastIndex(of: ":") { return String(last[..<colon]) }
        return last
    }
}
