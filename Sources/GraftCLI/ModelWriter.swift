import Foundation
import GraphIR
import KerasFormat
import ONNXFormat

/// Writes a graph in the format its path's extension names, atomically.
enum ModelWriter {
    static func write(_ graph: Graph, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        switch path.lowercased() {
        case let p where p.hasSuffix(".onnx"):
            try ONNXWriter.write(graph, to: url)
        case let p where p.hasSuffix(".h5") || p.hasSuffix(".hdf5"):
            try KerasH5Writer.write(graph, to: url)
        default:
            throw CLIError.unknownOutputExtension(path: path)
        }
    }
}
