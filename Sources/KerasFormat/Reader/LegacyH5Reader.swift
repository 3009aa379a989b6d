import Foundation
import GraphIR
import HDF5Support
import TensorCore

/// Reads legacy HDF5 model files (Keras 2 / tf.keras and Keras 3 `model.save("x.h5")`).
///
/// Layout: root attributes `model_config` (JSON), `keras_version`, `backend`;
/// group `model_weights` with attribute `layer_names` (possibly chunked as
/// `layer_names0`, `layer_names1`, …); one group per layer with attribute
/// `weight_names`, each name a dataset path relative to that group. Weights of
/// a nested model are all stored under the outer layer's group, named by inner
/// layer (`Conv1/kernel`, `head/fc/kernel`, `Conv1/kernel:0`).
enum LegacyH5Reader {
    static func read(_ root: HDF5Group, file: String, configOverride: KerasModelConfig?) throws(KerasImportError) -> KerasModelFile {
        let model: KerasModelConfig
        if let configOverride {
            model = configOverride
        } else {
            let text = try wrap { () throws(HDF5Error) in try root.stringAttribute("model_config") }
            model = try KerasModelConfig.parse(try JSONValue.parse(Data(text.utf8), source: "\(file) model_config"),
                                               source: "\(file) model_config")
        }
        let version = try? root.stringAttribute("keras_version")
        let backend = try? root.stringAttribute("backend")
        var weights: [String: [KerasWeight]] = [:]
        let groups = try layerGroups(root)
        for (layerName, group, names) in groups {
            var stored: [(String, KerasWeight)] = []
            for name in names {
                let tensor = try wrap { () throws(HDF5Error) in try group.dataset(name).readFloat32() }
                stored.append((name, KerasWeight(name: name, tensor: tensor)))
            }
            if let nested = model.layer(named: layerName)?.nested {
                try assign(stored, to: nested, prefix: layerName, into: &weights)
            } else if !stored.isEmpty {
                weights[layerName, default: []] += stored.map(\.1)
            }
        }
        return KerasModelFile(format: .legacyH5, kerasVersion: version, backend: backend, model: model, weights: weights)
    }

    /// Each layer's group under `model_weights` and its `weight_names`, in `layer_names` order.
    static func layerGroups(_ root: HDF5Group) throws(KerasImportError) -> [(String, HDF5Group, [String])] {
        try wrap { () throws(HDF5Error) in
            let modelWeights = try root.group("model_weights")
            var result: [(String, HDF5Group, [String])] = []
            for layer in try modelWeights.chunkedStringArrayAttribute("layer_names") {
                let group = try modelWeights.group(layer)
                let hasNames = try group.attributeNames().contains { $0.hasPrefix("weight_names") }
                let names = hasNames ? try group.chunkedStringArrayAttribute("weight_names") : []
                result.append((layer, group, names))
            }
            return result
        }
    }

    /// Lists every weight dataset without reading its data.
    static func listWeights(_ root: HDF5Group) throws(KerasImportError) -> [WeightEntry] {
        var rows: [WeightEntry] = []
        for (layer, group, names) in try layerGroups(root) {
            for name in names {
                let dataset = try wrap { () throws(HDF5Error) in try group.dataset(name) }
                rows.append(WeightEntry(name: "\(layer)/\(name)", layer: layer, dtype: dataset.dtype, shape: dataset.shape))
            }
        }
        return rows
    }

    /// Distributes a nested model's weights to its inner layers: the first
    /// scope component that names an inner layer owns the weight.
    static func assign(_ stored: [(String, KerasWeight)], to model: KerasModelConfig, prefix: String,
                       into weights: inout [String: [KerasWeight]]) throws(KerasImportError) {
        let innerNames = Set(model.layers.map(\.name))
        var perLayer: [(String, [(String, KerasWeight)])] = []
        var unassigned: [String] = []
        for (relative, weight) in stored {
            let scopes = relative.split(separator: "/").dropLast().map(String.init)
            guard let index = scopes.firstIndex(where: innerNames.contains) else {
                unassigned.append(relative)
                continue
            }
            let rest = (scopes[(index + 1)...] + [relative.split(separator: "/").last.map(String.init) ?? relative])
                .joined(separator: "/")
            if let slot = perLayer.firstIndex(where: { $0.0 == scopes[index] }) {
                perLayer[slot].1.append((rest, weight))
            } else {
                perLayer.append((scopes[index], [(rest, weight)]))
            }
        }
        guard unassigned.isEmpty else { throw .unassignedWeights(layer: prefix, names: unassigned) }
        for (inner, list) in perLayer {
            let path = "\(prefix)/\(inner)"
            if let nested = model.layer(named: inner)?.nested {
                try assign(list, to: nested, prefix: path, into: &weights)
            } else {
                weights[path, default: []] += list.map(\.1)
            }
        }
    }
}

/// Runs HDF5 work and reports its failure as `KerasImportError.hdf5`.
func wrap<T>(_ body: () throws(HDF5Error) -> T) throws(KerasImportError) -> T {
    do { return try body() } catch { throw .hdf5(error) }
}
