import Foundation
import GraphIR
import TensorCore

/// Translates Keras models into Graft's IR.
///
/// Layout: the graph input is NCHW `[batch, C, H, W]` (Keras feeds NHWC; the
/// metadata property `keras.input_layout = nhwc` records it for exporters and
/// `predict`). Kernels become OIHW, Dense kernels `[out, in]`, channel axes
/// move from -1 to 1 on 4-D values, and Flatten/Reshape of 4-D values go
/// through NHWC so element order matches Keras. Nested models are inlined; their
/// nodes carry `layer = "outer/inner"`.
public enum KerasImporter {
    /// Reads and translates `url` (`.h5`, `.keras`, or `.weights.h5` with `config`).
    /// Every error names `url`'s path (or the config file's, for errors in `config`).
    public static func load(url: URL, config: URL? = nil) throws(KerasImportError) -> Graph {
        let file = try KerasReader.read(url, config: config)
        return try naming(url) { () throws(KerasImportError) in try makeGraph(from: file) }
    }

    /// Every stored weight tensor, also for models that cannot be rebuilt.
    public static func listWeights(url: URL) throws(KerasImportError) -> [WeightEntry] {
        try KerasReader.listWeights(url)
    }

    /// Builds the graph. Unsupported layers anywhere in the model are reported
    /// together in one `.unsupportedLayers` error before anything is built.
    public static func makeGraph(from file: KerasModelFile) throws(KerasImportError) -> Graph {
        let unsupported = unsupportedLayers(in: file.model, prefix: nil)
        guard unsupported.isEmpty else { throw .unsupportedLayers(unsupported) }

        let version = file.kerasVersion ?? ""
        let major = Int(version.split(separator: ".").first ?? "") ?? 3
        var producer = "keras"
        if !version.isEmpty { producer += " \(version)" }
        if let backend = file.backend, !backend.isEmpty { producer += " (\(backend))" }
        var properties = file.properties
        properties["keras.input_layout"] = "nhwc"
        let metadata = ModelMetadata(sourceFormat: file.format == .kerasZip ? "keras-zip" : "keras-h5", producer: producer,
                                     preprocessing: file.preprocessing, classNames: file.classNames, properties: properties)
        var walker = ModelWalker(weights: file.weights, kerasMajorVersion: major,
                                 builder: GraphBuilder(graph: Graph(name: file.model.name, metadata: metadata)))
        let outputs = try walker.inline(file.model, prefix: nil, inputs: nil, trainable: true)
        let leftover = Set(file.weights.keys).subtracting(walker.usedWeights).sorted()
        if let first = leftover.first {
            throw .unassignedWeights(layer: first, names: file.weights[first]!.map(\.name))
        }
        walker.builder.graph.outputs = outputs
        return walker.builder.graph
    }
}

/// Walks a model config in layer order, inlining nested models.
struct ModelWalker {
    let weights: [String: [KerasWeight]]
    let kerasMajorVersion: Int
    var builder: GraphBuilder
    var usedWeights: Set<String> = []

    /// Imports `model`'s layers; `inputs` feed its input layers when it is nested
    /// (nil at the top, where they become graph inputs). Returns its output values.
    mutating func inline(_ model: KerasModelConfig, prefix: String?, inputs: [String]?, trainable: Bool) throws(KerasImportError) -> [String] {
        var produced: [String: [[String]]] = [:]   // layer name → per call → outputs

        func lookup(_ ref: KerasTensorRef, reader: String) throws(KerasImportError) -> String {
            guard let calls = produced[ref.layer], !calls.isEmpty else {
                throw .unknownInbound(layer: reader, source: ref.layer)
            }
            let call = calls.count == 1 ? calls[0] : (ref.nodeIndex < calls.count ? calls[ref.nodeIndex] : [])
            guard ref.tensorIndex < call.count else { throw .unknownInbound(layer: reader, source: "\(ref.layer)[\(ref.nodeIndex)][\(ref.tensorIndex)]") }
            return call[ref.tensorIndex]
        }

        for layer in model.layers {
            let path = prefix.map { "\($0)/\(layer.name)" } ?? layer.name
            let layerTrainable = trainable && (layer.config["trainable"]?.bool ?? true)
            if layer.className == "InputLayer" {
                produced[layer.name] = [[try input(layer, path: path, model: model, inputs: inputs)]]
                continue
            }
            for node in layer.inboundNodes {
                var values: [String] = []
                for ref in node { values.append(try lookup(ref, reader: path)) }
                if let nested = layer.nested {
                    produced[layer.name, default: []].append(try inline(nested, prefix: path, inputs: values, trainable: layerTrainable))
                    continue
                }
                guard let importer = kerasLayerImporters[layer.className] else {
                    throw .unsupportedLayers([UnsupportedLayer(layer: path, className: layer.className, reason: "no importer")])
                }
                usedWeights.insert(path)
                let call = LayerCall(layer: layer, path: path, inputs: values, inputShapes: values.map { builder.shape(of: $0) },
                                     weights: LayerWeights(layer: path, stored: weights[path] ?? []),
                                     trainable: layerTrainable, kerasMajorVersion: kerasMajorVersion)
                produced[layer.name, default: []].append([try importer(call, &builder)])
            }
        }
        var outputs: [String] = []
        for ref in model.outputs { outputs.append(try lookup(ref, reader: prefix ?? model.name)) }
        return outputs
    }

    /// A graph input at the top level (shape from `batch_shape` or
    /// `batch_input_shape`); inside a nested model, the value the outer call passes.
    private mutating func input(_ layer: KerasLayerConfig, path: String, model: KerasModelConfig,
                                inputs: [String]?) throws(KerasImportError) -> String {
        if let inputs {
            guard let index = model.inputs.firstIndex(where: { $0.layer == layer.name }), index < inputs.count else {
                throw .unknownInbound(layer: path, source: "the input of the enclosing model")
            }
            return inputs[index]
        }
        guard let dims = (layer.config["batch_shape"] ?? layer.config["batch_input_shape"])?.array else {
            throw .badLayerConfig(layer: path, className: layer.className, key: "batch_shape", reason: "is missing")
        }
        let kerasDims = dims.map(\.int)
        guard kerasDims.count == 2 || kerasDims.count == 4, kerasDims.dropFirst().allSatisfy({ $0 != nil }) else {
            throw .unsupportedShape(layer: path, className: layer.className, shape: "\(dims.map { $0.int.map(String.init) ?? "None" })",
                                    reason: "inputs must be [batch, features] or [batch, height, width, channels] with known sizes")
        }
        return builder.input(layer.name, shape: WeightLayout.irShape(kerasDims: kerasDims))
    }
}
