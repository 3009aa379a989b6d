import Foundation
import GraphIR
import TensorCore

/// Writes a graph as an ONNX `ModelProto` (IR version 8, default-domain opset
/// 13 or the smallest later one the graph needs).
///
/// Weights go into `raw_data`, little-endian. The batch dimension stays
/// symbolic. Preprocessing, class names and the frozen weights travel in
/// `metadata_props` (`ONNXMetadataKeys`), which `ONNXImporter` reads back.
public enum ONNXWriter {
    public static let irVersion = 8

    /// The encoded model.
    public static func encode(_ graph: Graph) throws -> [UInt8] {
        var exporter = ONNXNodeExport()
        let nodes = graph.nodes.flatMap { exporter.export($0) }
        let opset = ONNXNodeExport.requiredOpset(for: graph)
        let used = Set(nodes.flatMap(\.inputs) + graph.outputs)
        let kept = graph.parameters.keys.sorted().filter { used.contains($0) }
        // Weights and statistics are initializers; structural constants are Constant
        // nodes, so that a reader (ours included) can tell them apart.
        var initializers = kept.filter { graph.parameters[$0]!.role != .constant }.map { ($0, graph.parameters[$0]!.tensor) }
        initializers += exporter.extraInitializers
        let constantNodes = kept.filter { graph.parameters[$0]!.role == .constant }.map {
            ExportNode(name: "\($0)/constant", opType: "Constant", inputs: [], outputs: [$0],
                       attributes: [("value", .tensor(graph.parameters[$0]!.tensor))])
        }

        var model = ProtobufWriter()
        model.int(1, irVersion)
        model.string(2, "graft")
        model.string(3, "0.1")
        model.message(7) { g in
            for node in constantNodes + nodes { g.message(1) { writeNode(node, into: &$0) } }
            g.string(2, graph.name)
            for (name, tensor) in initializers { writeTensor(tensor, name: name, into: &g) }
            for input in graph.inputs { g.message(11) { writeValueInfo(input.name, input.type, into: &$0) } }
            for output in graph.outputs {
                guard let type = graph.type(of: output) else { continue }
                g.message(12) { writeValueInfo(output, type, into: &$0) }
            }
        }
        model.message(8) { op in
            op.string(1, "")
            op.int(2, opset)
        }
        for (key, value) in try metadataProperties(graph).sorted(by: { $0.key < $1.key }) {
            model.message(14) { entry in
                entry.string(1, key)
                entry.string(2, value)
            }
        }
        return model.bytes
    }

    /// Writes `graph` to `url` through a temporary file renamed into place,
    /// so a failure never leaves a partial model under the final name.
    /// `check` reads the complete temporary file before the rename; what it throws
    /// is thrown as it is, and nothing is left at `url`.
    public static func write(_ graph: Graph, to url: URL, checkedBy check: (URL) throws -> Void = { _ in }) throws {
        let bytes = try encode(graph)
        try AtomicFile.write(to: url, checkedBy: check) { temporary in
            try AtomicFile.writeNew(Data(bytes), to: temporary)
        } failure: { error in
            ONNXExportError.unwritable(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    private static func metadataProperties(_ graph: Graph) throws -> [String: String] {
        var props = graph.metadata.properties
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        if let p = graph.metadata.preprocessing {
            props[ONNXMetadataKeys.preprocessing] = String(decoding: try encoder.encode(p), as: UTF8.self)
        }
        if let names = graph.metadata.classNames {
            props[ONNXMetadataKeys.classNames] = String(decoding: try encoder.encode(names), as: UTF8.self)
        }
        let frozen = graph.parameters.filter { $0.value.role == .weight && !$0.value.trainable }.keys.sorted()
        if frozen.isEmpty {
            props[ONNXMetadataKeys.frozen] = nil
        } else {
            props[ONNXMetadataKeys.frozen] = String(decoding: try encoder.encode(frozen), as: UTF8.self)
        }
        return props
    }

    private static func writeNode(_ node: ExportNode, into w: inout ProtobufWriter) {
        for input in node.inputs { w.string(1, input) }
        for output in node.outputs { w.string(2, output) }
        w.string(3, node.name)
        w.string(4, node.opType)
        for (name, value) in node.attributes {
            w.message(5) { a in
                a.string(1, name)
                switch value {
                case .float(let f): a.float(2, f); a.int(20, 1)
                case .int(let i): a.int(3, i); a.int(20, 2)
                case .string(let s): a.string(4, s); a.int(20, 3)
                case .tensor(let t): writeTensor(t, name: "", into: &a, field: 5); a.int(20, 4)
                case .ints(let v): for i in v { a.int(8, i) }; a.int(20, 7)
                }
            }
        }
    }

    private static func writeTensor(_ tensor: Tensor, name: String, into w: inout ProtobufWriter, field: Int = 5) {
        w.message(field) { t in
            for d in tensor.shape { t.int(1, d) }
            t.int(2, Int(ONNXDataType.code(tensor.dtype)))
            if !name.isEmpty { t.string(8, name) }
            // raw_data is little-endian, as this machine is (the reader assumes the same).
            t.bytes(9, tensor.storage.bytes)
        }
    }

    private static func writeValueInfo(_ name: String, _ type: ValueType, into w: inout ProtobufWriter) {
        w.string(1, name)
        w.message(2) { typeProto in
            typeProto.message(1) { tensorType in
                tensorType.int(1, Int(ONNXDataType.code(type.dtype)))
                tensorType.message(2) { shape in
                    for dim in type.shape.dims {
                        shape.message(1) { d in
                            switch dim {
                            case .known(let n): d.int(1, n)
                            case .symbol(let s): d.string(2, s.hasPrefix("?") ? "unk" + s.dropFirst() : s)
                            }
                        }
                    }
                }
            }
        }
    }
}
