import Foundation
import GraphIR
import TensorCore

/// Translates a decoded ONNX model into Graft's `Graph`.
///
/// Nodes go through `onnxOpImporters` (one entry per op type); every node the
/// table cannot translate is collected first and reported in one
/// `ONNXImportError.unsupportedOps`. `Constant` nodes become `.constant`
/// parameters. Float initializers are trainable `.weight`s, except
/// BatchNormalization mean and variance (`.statistic`); integer initializers
/// are `.constant`s.
public enum ONNXImporter {
    /// Versions of the default operator set (`""` / `ai.onnx`) Graft translates.
    public static let supportedOpsets: ClosedRange<Int> = 7...21

    /// Every default-domain `op_type` the importer translates, `Constant` included.
    public static let supportedOpTypes: Set<String> = Set(onnxOpImporters.keys).union(["Constant"])

    /// Reads and translates the file at `url`.
    public static func load(url: URL) throws -> Graph {
        try makeGraph(from: ONNXReader.read(url: url))
    }

    /// Every initializer of the file at `url`, without building a graph (works
    /// for models with unsupported ops). `layer` is the first node that reads it.
    public static func listWeights(url: URL) throws -> [WeightEntry] {
        let model = try ONNXReader.read(url: url)
        var firstReader: [String: String] = [:]
        for node in model.graph.nodes {
            for input in node.inputs where firstReader[input] == nil { firstReader[input] = node.name }
        }
        return model.graph.initializers.map {
            WeightEntry(name: $0.name, layer: firstReader[$0.name], dtype: $0.dtype, shape: $0.dims)
        }
    }

    public static func makeGraph(from model: ONNXModelFile) throws -> Graph {
        let file = model.name
        let opset = try defaultOpset(of: model)
        let graph = model.graph
        try checkAllOpsSupported(model)

        let statistics = Set(graph.nodes.filter { $0.opType == "BatchNormalization" }.flatMap { $0.inputs.dropFirst(3).prefix(2) })
        var parameters: [String: Parameter] = [:]
        var constants: [String: Tensor] = [:]
        for initializer in graph.initializers {
            let role: ParameterRole = !initializer.dtype.isFloatingPoint ? .constant
                : statistics.contains(initializer.name) ? .statistic : .weight
            // The IR computes in float32: float16 and float64 weights are converted once, here.
            let tensor = initializer.dtype.isFloatingPoint ? initializer.tensor.converted(to: .float32) : initializer.tensor
            parameters[initializer.name] = Parameter(tensor, role: role)
            constants[initializer.name] = tensor
        }

        var valueTypes: [String: ValueType] = [:]
        for info in graph.valueInfo + graph.inputs + graph.outputs {
            if let type = info.valueType { valueTypes[info.name] = type }
        }
        let inputs = try graph.inputs.filter { parameters[$0.name] == nil }.map { try graphInput($0, file: file) }
        let outputs = graph.outputs.map(\.name)
        let consumed = Set(graph.nodes.flatMap(\.inputs) + outputs)

        var context = ImportContext(file: file, opset: opset, valueTypes: valueTypes,
                                    consumedValues: consumed, constants: constants)
        var names = NodeNamer(fileNames: graph.nodes.map(\.name))
        var nodes: [Node] = []
        for onnxNode in graph.nodes {
            context.begin(onnxNode, name: names.unique(onnxNode))
            if onnxNode.opType == "Constant" {
                let value = try constantValue(of: onnxNode, context)
                let tensor = value.dtype.isFloatingPoint ? value.converted(to: .float32) : value
                for output in onnxNode.outputs.prefix(1) {
                    parameters[output] = Parameter(tensor, role: .constant)
                    context.addKnownConstant(tensor, named: output)
                }
                continue
            }
            // Presence was checked by checkAllOpsSupported.
            guard let translate = onnxOpImporters[onnxNode.opType] else { continue }
            let op = try translate(onnxNode, &context)
            context.finish(opType: onnxNode.opType)
            nodes.append(Node(name: context.nodeName, op: op, inputs: context.inputs, outputs: context.outputs))
        }
        for (name, tensor) in context.createdConstants {
            parameters[name] = Parameter(tensor, role: .constant)
        }
        // Constants folded into attributes (Clip bounds, Pad value, axes) leave nothing behind,
        // whether they came from Constant nodes or from initializers.
        let used = Set(nodes.flatMap(\.inputs) + outputs)
        for name in Array(parameters.keys) where !used.contains(name) {
            parameters[name] = nil
        }
        let frozen = jsonStrings(model, key: ONNXMetadataKeys.frozen) ?? []
        for name in frozen where parameters[name]?.role == .weight {
            parameters[name]?.trainable = false
        }

        var result = Graph(name: graph.name, inputs: inputs, outputs: outputs, nodes: nodes,
                           parameters: parameters, valueTypes: valueTypes, metadata: metadata(of: model))
        // ONNX requires topological order; not every exporter delivers it.
        do { try result.sortTopologically() } catch {
            throw ONNXImportError.invalidGraph(file: file, reason: error.description)
        }
        return result
    }

    /// The default-domain opset, which must be in `supportedOpsets`.
    private static func defaultOpset(of model: ONNXModelFile) throws -> Int {
        let version = model.opsetVersion(for: "") ?? 0
        guard supportedOpsets.contains(version) else {
            throw ONNXImportError.unsupportedOpset(file: model.name, domain: "", version: version, supported: supportedOpsets)
        }
        return version
    }

    /// Throws one error listing every node whose domain or op type Graft does not translate.
    private static func checkAllOpsSupported(_ model: ONNXModelFile) throws {
        let unsupported = model.graph.nodes.enumerated().compactMap { index, node -> UnsupportedONNXOp? in
            let isDefaultDomain = ONNXOpset.canonicalDomain(node.domain).isEmpty
            if isDefaultDomain && (node.opType == "Constant" || onnxOpImporters[node.opType] != nil) { return nil }
            return UnsupportedONNXOp(opType: node.opType, domain: node.domain,
                                     node: node.name.isEmpty ? "#\(index)" : node.name,
                                     opset: model.opsetVersion(for: node.domain) ?? 0)
        }
        guard unsupported.isEmpty else { throw ONNXImportError.unsupportedOps(file: model.name, ops: unsupported) }
    }

    private static func graphInput(_ info: ONNXValueInfo, file: String) throws -> GraphInput {
        guard info.elementType != 0 else {
            throw ONNXImportError.invalidValueInfo(file: file, value: info.name, reason: "is a graph input without a tensor type")
        }
        guard let dtype = info.dtype else {
            throw ONNXImportError.invalidValueInfo(file: file, value: info.name,
                                                   reason: "has element type \(ONNXDataType.name(of: info.elementType)), which Graft does not support")
        }
        guard let shape = info.shape else {
            throw ONNXImportError.invalidValueInfo(file: file, value: info.name, reason: "is a graph input without a shape")
        }
        return GraphInput(name: info.name, type: ValueType(dtype, shape))
    }

    private static func metadata(of model: ONNXModelFile) -> ModelMetadata {
        var properties: [String: String] = [:]
        for entry in model.metadataProps { properties[entry.key] = entry.value }
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        let preprocessing = properties[ONNXMetadataKeys.preprocessing].flatMap {
            try? JSONDecoder().decode(Preprocessing.self, from: Data($0.utf8))
        }
        let classNames = jsonStrings(model, key: ONNXMetadataKeys.classNames)
        for key in [ONNXMetadataKeys.preprocessing, ONNXMetadataKeys.classNames, ONNXMetadataKeys.frozen] {
            properties[key] = nil
        }
        return ModelMetadata(sourceFormat: "onnx", producer: producer, preprocessing: preprocessing,
                             classNames: classNames, properties: properties)
    }

    /// A `metadata_props` value that holds a JSON array of strings (Graft's own keys).
    private static func jsonStrings(_ model: ONNXModelFile, key: String) -> [String]? {
        guard let text = model.metadataProps.first(where: { $0.key == key })?.value else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}

/// Gives every node a unique name: its own when it has one not yet taken,
/// else `<op_type>_<n>`, avoiding every name the file uses.
struct NodeNamer {
    private var taken: Set<String>
    private var used: Set<String> = []
    private var counter = 0

    init(fileNames: [String]) {
        taken = Set(fileNames.filter { !$0.isEmpty })
    }

    mutating func unique(_ node: ONNXNode) -> String {
        if !node.name.isEmpty && !used.contains(node.name) {
            used.insert(node.name)
            return node.name
        }
        var candidate: String
        repeat {
            candidate = "\(node.opType)_\(counter)"
            counter += 1
        } while taken.contains(candidate) || used.contains(candidate)
        used.insert(candidate)
        return candidate
    }
}
