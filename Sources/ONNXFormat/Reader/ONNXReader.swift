import CONNXProto
import Foundation
import GraphIR
import TensorCore

/// Decodes `.onnx` files into `ONNXModelFile`. Decoding only: no op is
/// interpreted here (that is `ONNXImporter`'s job).
///
/// Every failure is an `ONNXImportError` naming the file; no input, however
/// corrupt, may crash the reader.
public enum ONNXReader {
    /// Maps and decodes the file at `url`. External data is resolved relative to its folder.
    public static func read(url: URL) throws -> ONNXModelFile {
        let name = url.lastPathComponent
        let mapped: MappedFile
        do { mapped = try MappedFile(path: url.path) } catch {
            throw ONNXImportError.unreadable(file: url.path, reason: error.reason)
        }
        return try decode(mapped.bytes, name: name, folder: url.deletingLastPathComponent())
    }

    /// Decodes a model held in memory. `directory` is where external data is
    /// looked for; without it, a model with external data is refused.
    public static func read(bytes: Data, name: String, directory: URL? = nil) throws -> ONNXModelFile {
        try bytes.withUnsafeBytes { try decode($0, name: name, folder: directory) }
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, name: String, folder: URL?) throws -> ONNXModelFile {
        guard !bytes.isEmpty else {
            throw ONNXImportError.notAModel(file: name, byteCount: 0, reason: "the file is empty")
        }
        guard let decoded = DecodedModelProto(bytes: bytes) else {
            throw ONNXImportError.notAModel(file: name, byteCount: bytes.count, reason: "protobuf decoding failed")
        }
        let model = decoded.message.pointee
        // Arbitrary bytes can decode as a valid but empty message: require the fields every model has.
        let irVersion = model.has_ir_version != 0 ? Int(model.ir_version) : 0
        guard irVersion >= 1 else {
            throw ONNXImportError.notAModel(file: name, byteCount: bytes.count, reason: "ir_version is \(irVersion)")
        }
        guard let graph = model.graph else {
            throw ONNXImportError.notAModel(file: name, byteCount: bytes.count, reason: "it has no graph")
        }
        let opsets = elements(model.opset_import, model.n_opset_import).map {
            ONNXOpset(domain: swiftString($0.pointee.domain), version: Int($0.pointee.version))
        }
        guard !opsets.isEmpty else {
            throw ONNXImportError.notAModel(file: name, byteCount: bytes.count, reason: "it imports no operator set")
        }
        let tensors = TensorDecoder(file: name, owner: decoded,
                                    externalData: ExternalDataResolver(file: name, folder: folder))
        let graphReader = GraphReader(file: name, tensors: tensors)
        return ONNXModelFile(
            name: name,
            irVersion: irVersion,
            opsets: opsets,
            producerName: swiftString(model.producer_name),
            producerVersion: swiftString(model.producer_version),
            domain: swiftString(model.domain),
            modelVersion: model.has_model_version != 0 ? Int(model.model_version) : 0,
            docString: swiftString(model.doc_string),
            graph: try graphReader.read(graph),
            metadataProps: elements(model.metadata_props, model.n_metadata_props).map {
                ONNXMetadataEntry(key: swiftString($0.pointee.key), value: swiftString($0.pointee.value))
            })
    }
}
