/// Encodes protobuf wire format (proto2) into a byte buffer.
///
/// The exporter builds messages bottom-up: a nested message is encoded into its
/// own writer and appended as a length-delimited field. Field numbers are those
/// of `Formats/onnx/onnx.proto`; `ONNXReader` (protobuf-c) reads the result back.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    /// An `int64`/`int32`/enum field (negative values take ten bytes, as the spec says).
    mutating func int(_ field: Int, _ value: Int) {
        key(field, 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bytes(_ field: Int, _ value: some Collection<UInt8>) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        bytes(field, nested.bytes)
    }

    /// A packed `repeated int64` field.
    mutating func packedInts(_ field: Int, _ values: [Int]) {
        var packed = ProtobufWriter()
        for v in values { packed.varint(UInt64(bitPattern: Int64(v))) }
        bytes(field, packed.bytes)
    }

    /// A packed `repeated float` field.
    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var packed: [UInt8] = []
        packed.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { packed.append(contentsOf: $0) } }
        bytes(field, packed)
    }
}
