import CONNXProto
import Foundation
import TensorCore

extension ONNXReader {
    /// Decodes one serialized `TensorProto` (an ONNX backend test's
    /// `input_N.pb` / `output_N.pb`) with the same checks as initializers:
    /// `raw_data` or the typed fields must hold exactly the shape's elements.
    /// External data is refused. `name` is the file name, for errors.
    public static func readTensor(bytes: Data, name: String) throws -> Tensor {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else {
                throw ONNXImportError.notATensor(file: name, byteCount: 0, reason: "the file is empty")
            }
            guard let decoded = DecodedTensorProto(bytes: base, count: raw.count) else {
                throw ONNXImportError.notATensor(file: name, byteCount: raw.count, reason: "protobuf decoding as TensorProto failed")
            }
            let decoder = TensorDecoder(file: name, owner: decoded,
                                        externalData: ExternalDataResolver(file: name, folder: nil))
            return try decoder.decode(decoded.message, fallbackName: name).tensor
        }
    }

    /// Reads and decodes the serialized `TensorProto` at `url`.
    public static func readTensor(url: URL) throws -> Tensor {
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch {
            throw ONNXImportError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        return try readTensor(bytes: bytes, name: url.lastPathComponent)
    }
}

/// Owns a `TensorProto` unpacked by protobuf-c and frees it on deinit;
/// tensors decoded from its `raw_data` borrow its memory.
final class DecodedTensorProto: @unchecked Sendable {
    let message: UnsafeMutablePointer<Onnx__TensorProto>

    init?(bytes: UnsafeRawPointer, count: Int) {
        guard let message = onnx__tensor_proto__unpack(nil, count, bytes.assumingMemoryBound(to: UInt8.self)) else {
            return nil
        }
        self.message = message
    }

    deinit {
        onnx__tensor_proto__free_unpacked(message, nil)
    }
}
