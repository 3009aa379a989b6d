import GraphIR
import HDF5Support
import TensorCore

/// Reads the Keras 3 weights layout (`model.weights.h5` inside a `.keras`
/// zip, or a `.weights.h5` file):
///
///     layers/<auto_name>/vars/0 … n-1       a layer's variables, in Keras order
///     layers/<auto_name>/vars @name         the layer's real name (recent Keras 3)
///     layers/<auto_name>/layers/…           the layers of a nested model
///
/// `<auto_name>` is the snake-cased class name with a per-class counter
/// (`conv2d`, `conv2d_1`, `batch_normalization`); when `vars` has no `name`
/// attribute, layers are matched to the config through that naming.
enum Keras3WeightsReader {
    static func read(_ root: HDF5Group, model: KerasModelConfig) throws(KerasImportError) -> [String: [KerasWeight]] {
        var weights: [String: [KerasWeight]] = [:]
        try walk(root, model: model, prefix: nil) { (path: String, vars: [(String, HDF5Dataset)]) throws(KerasImportError) in
            var list: [KerasWeight] = []
            for (name, dataset) in vars {
                list.append(KerasWeight(name: name, tensor: try wrap { () throws(HDF5Error) in try dataset.readFloat32() }))
            }
            if !list.isEmpty { weights[path] = list }
        }
        return weights
    }

    /// Lists every variable without reading data; names are HDF5 paths.
    static func listWeights(_ root: HDF5Group, model: KerasModelConfig?) throws(KerasImportError) -> [WeightEntry] {
        var entries: [WeightEntry] = []
        try walk(root, model: model, prefix: nil) { (path: String, vars: [(String, HDF5Dataset)]) throws(KerasImportError) in
            for (_, dataset) in vars {
                entries.append(WeightEntry(name: String(dataset.path.dropFirst()), layer: path,
                                           dtype: dataset.dtype, shape: dataset.shape))
            }
        }
        return entries
    }

    /// Calls `visit` with each layer's path and its `vars/<i>` datasets in index order.
    static func walk(_ group: HDF5Group, model: KerasModelConfig?, prefix: String?,
                     _ visit: (String, [(String, HDF5Dataset)]) throws(KerasImportError) -> Void) throws(KerasImportError) {
        guard try wrap({ () throws(HDF5Error) in try group.kind(of: "layers") }) == .group else { return }
        let layersGroup = try wrap { () throws(HDF5Error) in try group.group("layers") }
        let autoNames = model.map(autoNameTable) ?? [:]
        for key in try wrap({ () throws(HDF5Error) in try layersGroup.childNames() }) {
            let layerGroup = try wrap { () throws(HDF5Error) in try layersGroup.group(key) }
            let name = try storedName(layerGroup) ?? autoNames[key] ?? key
            let path = prefix.map { "\($0)/\(name)" } ?? name
            try visit(path, try variables(layerGroup))
            let nested = model?.layer(named: name)?.nested
            try walk(layerGroup, model: nested, prefix: path, visit)
        }
    }

    private static func storedName(_ layerGroup: HDF5Group) throws(KerasImportError) -> String? {
        try wrap { () throws(HDF5Error) in
            guard try layerGroup.kind(of: "vars") == .group else { return nil }
            let vars = try layerGroup.group("vars")
            return try vars.hasAttribute("name") ? try vars.stringAttribute("name") : nil
        }
    }

    /// `vars/0 … vars/n-1`; the indices must be contiguous.
    private static func variables(_ layerGroup: HDF5Group) throws(KerasImportError) -> [(String, HDF5Dataset)] {
        try wrap { () throws(HDF5Error) in
            guard try layerGroup.kind(of: "vars") == .group else { return [] }
            let vars = try layerGroup.group("vars")
            let keys = try vars.childNames()
            var result: [(String, HDF5Dataset)] = []
            for i in 0..<keys.count {
                guard keys.contains(String(i)) else { throw HDF5Error.missingObject(path: "\(vars.path)/\(i)") }
                result.append(("vars/\(i)", try vars.dataset(String(i))))
            }
            return result
        }
    }

    /// Keras 3's automatic object names for the layers of `model`, in layer order.
    static func autoNameTable(_ model: KerasModelConfig) -> [String: String] {
        var counts: [String: Int] = [:]
        var table: [String: String] = [:]
        for layer in model.layers where !(model.kind == .sequential && layer.className == "InputLayer") {
            let base = layer.nested.map { $0.kind == .sequential ? "sequential" : "functional" } ?? snakeCase(layer.className)
            let n = counts[base, default: 0]
            counts[base] = n + 1
            table[n == 0 ? base : "\(base)_\(n)"] = layer.name
        }
        return table
    }

    /// `BatchNormalization` → `batch_normalization`, `Conv2D` → `conv2d`, `ReLU` → `re_lu`.
    static func snakeCase(_ name: String) -> String {
        let chars = Array(name)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0 {
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if chars[i - 1].isLowercase || nextIsLower {
                    out.append("_")
                }
            }
            out.append(contentsOf: c.lowercased())
        }
        return out
    }
}

/// Keras 3's automatic object naming (`Conv2D` → `conv2d`), for tests and writers.
public enum KerasAutoNaming {
    public static func snakeCase(_ className: String) -> String { Keras3WeightsReader.snakeCase(className) }
}
