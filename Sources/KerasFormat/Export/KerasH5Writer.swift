import Foundation
import GraphIR
import HDF5Support
import TensorCore

/// A legacy Keras `.h5` model, encoded but not written: what `KerasH5Writer`
/// puts into the file, in order.
///
/// Layout (as Keras 3's `model.save("x.h5")`): root attributes
/// `model_config` (JSON, variable-length string), `keras_version`, `backend`,
/// plus Graft's `graft_*` metadata; group `model_weights` with `layer_names`
/// (every layer, in Keras' layer order; chunked as `layer_names0`, … past
/// 64 KB) and `keras_version`, `backend`; one group per layer with
/// `weight_names` (`<layer>/<variable>`, a dataset path relative to that
/// group; empty for weightless layers) and the float32 datasets.
public struct KerasH5Document: Sendable {
    /// Root attributes as `(name, value)`.
    public var rootAttributes: [(name: String, value: String)]
    /// Every layer in Keras' order, with its weights as `(path relative to the
    /// layer's group, tensor in Keras' layout)`.
    public var layers: [(name: String, weights: [(name: String, tensor: Tensor)])]

    /// The `model_config` JSON text.
    public var modelConfig: String { rootAttributes.first { $0.name == "model_config" }?.value ?? "" }
}

/// Writes a graph as a legacy Keras `.h5` model that Keras 3's
/// `keras.models.load_model` loads, computing the same outputs (with NHWC
/// inputs) as the graph.
///
/// The graph becomes one flat Functional model: nested models are not
/// rebuilt, their layers keep the last component of their path as name
/// (made unique with `_1`, `_2`, …). Weights go back to Keras' layouts
/// (HWIO, `[kH, kW, C, M]`, Dense `[in, out]`) by permutation only, so the
/// values are bit for bit the graph's. A layer is `trainable` when its
/// weights are. Preprocessing (with `layout` set to `nhwc`, the exported
/// model's input), class names and properties travel as `graft_*` root
/// attributes that `KerasImporter` reads back.
///
/// Nodes without an exact Keras layer are reported together in one
/// `.unsupportedNodes` error before anything is written.
public enum KerasH5Writer {
    /// The Keras version whose file layout and layer semantics the output follows.
    public static let kerasVersion = "3.15.1"
    public static let backend = "tensorflow"

    /// Translates `graph` (sorted and shape-inferred here) into the file's contents.
    public static func encode(_ graph: Graph) throws(KerasExportError) -> KerasH5Document {
        var g = graph
        let known: [String: KnownValue]
        do {
            try g.sortTopologically()
            try ShapeInference.infer(&g)
            known = try ShapeInference.knownValues(g)
        } catch {
            throw .invalidGraph(error)
        }
        let (lowered, outputs) = try KerasLowering.lower(g, known: known)
        let layers = KerasLayerOrder.sorted(lowered, outputs: outputs.map(\.layer))
        let modelName = graph.name.split(separator: "/").joined(separator: "_")
        let config = KerasModelConfigEncoder.encode(name: modelName.isEmpty ? "model" : modelName,
                                                    layers: layers, outputs: outputs)
        var attributes: [(name: String, value: String)] = [
            ("model_config", config.text), ("keras_version", kerasVersion), ("backend", backend),
        ]
        attributes += try metadataAttributes(graph.metadata)
        return KerasH5Document(rootAttributes: attributes,
                               layers: layers.map { layer in
                                   (layer.name, layer.weights.map { ("\(layer.name)/\($0.name)", $0.tensor) })
                               })
    }

    /// Encodes `graph` and writes it to `url` through a temporary file in the
    /// same folder that is renamed into place, so a failure never leaves a
    /// partial file (or any file) at `url`. `check` reads the complete temporary
    /// file before the rename; what it throws is thrown as it is.
    public static func write(_ graph: Graph, to url: URL, checkedBy check: (URL) throws -> Void = { _ in }) throws {
        let document = try encode(graph)
        try AtomicFile.write(to: url, checkedBy: check) { temporary in
            try write(document, to: temporary)
        } failure: { error in
            error as? KerasExportError ?? .unwritable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Writes `document` with libhdf5, replacing any file at `url`.
    static func write(_ document: KerasH5Document, to url: URL) throws(KerasExportError) {
        do {
            let file = try HDF5File.create(url)
            let root = try file.root()
            for (name, value) in document.rootAttributes { try root.writeStringAttribute(name, value) }
            let weights = try root.createGroup("model_weights")
            try weights.writeStringAttribute("keras_version", kerasVersion)
            try weights.writeStringAttribute("backend", backend)
            try weights.writeChunkedStringArrayAttribute("layer_names", document.layers.map(\.name))
            for layer in document.layers {
                let group = try weights.createGroup(layer.name)
                try group.writeChunkedStringArrayAttribute("weight_names", layer.weights.map(\.name))
                for (name, tensor) in layer.weights { try group.writeFloat32Dataset(name, tensor) }
            }
        } catch {
            throw .hdf5(error)
        }
    }

    private static func metadataAttributes(_ metadata: ModelMetadata) throws(KerasExportError) -> [(name: String, value: String)] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func json<T: Encodable>(_ value: T, _ key: String) throws(KerasExportError) -> String {
            do { return String(decoding: try encoder.encode(value), as: UTF8.self) } catch {
                throw .metadata(key: key, reason: "\(error)")
            }
        }
        var result: [(name: String, value: String)] = []
        if var preprocessing = metadata.preprocessing {
            preprocessing.layout = .nhwc
            result.append((KerasMetadataKeys.preprocessing, try json(preprocessing, KerasMetadataKeys.preprocessing)))
        }
        if let names = metadata.classNames {
            result.append((KerasMetadataKeys.classNames, try json(names, KerasMetadataKeys.classNames)))
        }
        if !metadata.properties.isEmpty {
            result.append((KerasMetadataKeys.properties, try json(metadata.properties, KerasMetadataKeys.properties)))
        }
        return result
    }
}
