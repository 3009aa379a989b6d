import Foundation
import GraphIR
import KerasFormat
import ONNXFormat

/// Writes a graph in the format its path's extension names, atomically.
enum ModelWriter {
    /// `check` gets the complete file at its temporary path, before it is renamed to
    /// `path` (`AtomicFile`): a file that fails the check never appears under its name.
    static func write(_ graph: Graph, to path: String, checkedBy check: (URL) throws -> Void = { _ in }) throws {
        let url = URL(fileURLWithPath: path)
        switch try outputFormat(path) {
        case .onnx: try ONNXWriter.write(graph, to: url, checkedBy: check)
        default: try KerasH5Writer.write(graph, to: url, checkedBy: check)
        }
    }

    /// The format `path`'s extension names: `.onnx`, or `.h5`/`.hdf5` for Keras.
    static func outputFormat(_ path: String) throws(CLIError) -> ModelFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".onnx") { return .onnx }
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { return .kerasH5 }
        throw .unknownOutputExtension(path: path)
    }
}
