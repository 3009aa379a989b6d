import Foundation
import GraphIR
import KerasFormat
import ONNXFormat
import Runtime

/// Picks the reader for a model file by its extension.
enum ModelFormat {
    case onnx, kerasH5, kerasZip, kerasWeights

    init(path: String) throws(CLIError) {
        let lower = path.lowercased()
        if lower.hasSuffix(".onnx") { self = .onnx }
        else if lower.hasSuffix(".weights.h5") { self = .kerasWeights }
        else if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { self = .kerasH5 }
        else if lower.hasSuffix(".keras") { self = .kerasZip }
        else { throw .unknownModelExtension(path: path) }
    }
}

/// Loads model files into the IR, whatever their format.
enum ModelLoader {
    /// The graph of `path`, topologically sorted, verified, with every value's type inferred,
    /// and graph inputs that fit in memory (`ActivationLimit`).
    /// HDF5 files are first read in a child process (`IsolatedHDF5Read`) unless `isolated`
    /// is false: only for a file Graft itself has just written. `format` overrides the
    /// extension's (a temporary file's name ends in `.tmp`).
    static func load(_ path: String, config: String? = nil, format: ModelFormat? = nil, isolated: Bool = true) throws -> Graph {
        let url = try existingFile(path)
        var graph: Graph
        switch try format ?? ModelFormat(path: path) {
        case .onnx:
            graph = try ONNXImporter.load(url: url)
        case .kerasH5, .kerasZip:
            if isolated { try IsolatedHDF5Read.probe(url, config: config.map { URL(fileURLWithPath: $0) }, listOnly: false) }
            graph = try readHDF5(url) { try KerasImporter.load(url: url, config: config.map { URL(fileURLWithPath: $0) }) }
        case .kerasWeights:
            guard let config else { throw CLIError.weightsNeedConfig(path: path) }
            try IsolatedHDF5Read.probe(url, config: URL(fileURLWithPath: config), listOnly: false)
            graph = try readHDF5(url) { try KerasImporter.load(url: url, config: URL(fileURLWithPath: config)) }
        }
        do {
            try graph.sortTopologically()
            try GraphVerifier.verify(graph)
            try ShapeInference.infer(&graph)
            // Refused here, for every command: an input no plan could hold (`[1, 3, 100000, 100000]`).
            try ActivationLimit.checkInputs(of: graph)
        } catch let error as GraphError {
            throw CLIError.invalidModel(path: url.path, reason: "\(error)")
        } catch let error as RuntimeError {
            throw CLIError.invalidModel(path: url.path, reason: "\(error)")
        }
        // What the file does not say, the catalog of known models may: it then travels
        // with every file written from this graph.
        if graph.metadata.preprocessing == nil, let entry = ModelCatalog.entry(for: graph) {
            graph.metadata.preprocessing = entry.preprocessing
            graph.metadata.properties["graft.preprocessing_source"] = "catalog: \(entry.name)"
            if graph.metadata.classNames == nil { graph.metadata.classNames = entry.classNames }
        }
        return graph
    }

    /// Every weight tensor stored in `path`, without building the graph.
    static func weights(_ path: String) throws -> [WeightEntry] {
        let url = try existingFile(path)
        switch try ModelFormat(path: path) {
        case .onnx: return try ONNXImporter.listWeights(url: url)
        case .kerasH5, .kerasZip, .kerasWeights:
            try IsolatedHDF5Read.probe(url, config: nil, listOnly: true)
            return try readHDF5(url) { try KerasImporter.listWeights(url: url) }
        }
    }

    /// An in-process HDF5 read: its memory capped (`MemoryBudget`), its time bounded (`ReadWatchdog`).
    private static func readHDF5<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        try ReadWatchdog.limit(url) { try MemoryBudget.limited(forFile: url, body) }
    }

    private static func existingFile(_ path: String) throws(CLIError) -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .fileNotFound(path: path) }
        guard !isDirectory.boolValue else { throw .isADirectory(path: path) }
        return URL(fileURLWithPath: path)
    }
}
