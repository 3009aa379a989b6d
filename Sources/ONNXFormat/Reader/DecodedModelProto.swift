import CONNXProto

/// Owns a `ModelProto` unpacked by protobuf-c and frees it on deinit.
///
/// Tensors read from `raw_data` borrow memory inside this message, so it is
/// the `owner` of their storage and lives as long as they do.
final class DecodedModelProto: @unchecked Sendable {
    let message: UnsafeMutablePointer<Onnx__ModelProto>

    /// Unpacks `bytes`; `nil` when they are not valid protobuf for `ModelProto`.
    /// protobuf-c copies what it keeps, so `bytes` may be released afterwards.
    init?(bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0,
              let message = onnx__model_proto__unpack(nil, bytes.count, base.assumingMemoryBound(to: UInt8.self))
        else { return nil }
        self.message = message
    }

    deinit {
        onnx__model_proto__free_unpacked(message, nil)
    }
}

/// A protobuf-c string field as a Swift string (`""` when unset).
func swiftString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

/// A protobuf-c `repeated` message field as an array of pointers.
func elements<T>(_ base: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, _ count: Int) -> [UnsafeMutablePointer<T>] {
    guard let base, count > 0 else { return [] }
    return UnsafeBufferPointer(start: base, count: count).compactMap { $0 }
}

/// A protobuf-c `repeated` scalar field as a Swift array.
func values<T>(_ base: UnsafeMutablePointer<T>?, _ count: Int) -> [T] {
    guard let base, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: base, count: count))
}

/// A protobuf-c `bytes` value as UTF-8 text.
func text(_ data: ProtobufCBinaryData) -> String {
    guard let base = data.data, data.len > 0 else { return "" }
    return String(decoding: UnsafeBufferPointer(start: base, count: data.len), as: UTF8.self)
}
