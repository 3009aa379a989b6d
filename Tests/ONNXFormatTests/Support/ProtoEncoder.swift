import Foundation

/// Protobuf wire-format bytes written by hand, so tests can build models that
/// no well-behaved writer would produce. Field numbers are those of
/// `Formats/onnx/onnx.proto`.
struct ProtoEncoder {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ field: Int, _ value: Int64) {
        key(field, wireType: 0)
        raw(UInt64(bitPattern: value))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        key(field, wireType: 2)
        raw(UInt64(data.count))
        bytes += data
    }

    mutating func string(_ field: Int, _ text: String) {
        bytes(field, Array(text.utf8))
    }

    mutating func message(_ field: Int, _ build: (inout ProtoEncoder) -> Void) {
        var inner = ProtoEncoder()
        build(&inner)
        bytes(field, inner.bytes)
    }

    private mutating func key(_ field: Int, wireType: UInt64) {
        raw(UInt64(field) << 3 | wireType)
    }

    private mutating func raw(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
}

/// Small ONNX models assembled from parts, for corrupt-file and error tests.
enum TestModel {
    struct TensorSpec {
        var name: String
        var dims: [Int64]
        var dataType: Int64 = 1
        var raw: [UInt8]? = nil
        var external: [(String, String)]? = nil
    }

    /// An attribute with its `AttributeProto.type` code.
    enum AttributeSpec {
        case float(String, Float)
        case int(String, Int64)
        case string(String, String)
        case ints(String, [Int64])
    }

    struct NodeSpec {
        var opType: String
        var name: String
        var inputs: [String]
        var outputs: [String]
        var domain: String = ""
        var attributes: [AttributeSpec] = []
    }

    /// `ModelProto` bytes. `irVersion`/`opset` of `nil` leave the field out.
    static func model(irVersion: Int64? = 8, opset: Int64? = 13, nodes: [NodeSpec] = [],
                      initializers: [TensorSpec] = [], input: (String, [Int64])? = ("x", [1, 4]),
                      outputs: [String] = ["y"], includeGraph: Bool = true) -> Data {
        var m = ProtoEncoder()
        if let irVersion { m.varint(1, irVersion) }
        m.string(2, "graft-tests")
        if includeGraph {
            m.message(7) { g in
                for n in nodes { g.message(1) { node(&$0, n) } }
                g.string(2, "test")
                for t in initializers { g.message(5) { tensor(&$0, t) } }
                if let input { g.message(11) { valueInfo(&$0, name: input.0, dims: input.1) } }
                for o in outputs { g.message(12) { valueInfo(&$0, name: o, dims: [1, 4]) } }
            }
        }
        if let opset {
            m.message(8) { $0.string(1, ""); $0.varint(2, opset) }
        }
        return Data(m.bytes)
    }

    static func node(_ e: inout ProtoEncoder, _ n: NodeSpec) {
        for i in n.inputs { e.string(1, i) }
        for o in n.outputs { e.string(2, o) }
        e.string(3, n.name)
        e.string(4, n.opType)
        for a in n.attributes { e.message(5) { attribute(&$0, a) } }
        if !n.domain.isEmpty { e.string(7, n.domain) }
    }

    static func attribute(_ e: inout ProtoEncoder, _ a: AttributeSpec) {
        switch a {
        case let .float(name, v): e.string(1, name); e.float(2, v); e.varint(20, 1)
        case let .int(name, v): e.string(1, name); e.varint(3, v); e.varint(20, 2)
        case let .string(name, v): e.string(1, name); e.string(4, v); e.varint(20, 3)
        case let .ints(name, v): e.string(1, name); for i in v { e.varint(8, i) }; e.varint(20, 7)
        }
    }

    static func tensor(_ e: inout ProtoEncoder, _ t: TensorSpec) {
        for d in t.dims { e.varint(1, d) }
        e.varint(2, t.dataType)
        e.string(8, t.name)
        if let raw = t.raw { e.bytes(9, raw) }
        if let external = t.external {
            for (key, value) in external { e.message(13) { $0.string(1, key); $0.string(2, value) } }
            e.varint(14, 1)
        }
    }

    static func valueInfo(_ e: inout ProtoEncoder, name: String, dims: [Int64]) {
        e.string(1, name)
        e.message(2) { type in
            type.message(1) { tensorType in
                tensorType.varint(1, 1)
                tensorType.message(2) { shape in
                    for d in dims { shape.message(1) { $0.varint(1, d) } }
                }
            }
        }
    }

    /// `x → Gemm(w [4, 4] external, transB) → y` reading `w` from `location`.
    static func externalGemm(location: String, offset: Int = 0, length: Int = 64) -> Data {
        model(nodes: [NodeSpec(opType: "Gemm", name: "fc", inputs: ["x", "w"], outputs: ["y"])],
              initializers: [TensorSpec(name: "w", dims: [4, 4],
                                        external: [("location", location), ("offset", "\(offset)"), ("length", "\(length)")])])
    }

    /// `x → Relu → y`, a valid model to start corruptions from.
    static var relu: Data {
        model(nodes: [NodeSpec(opType: "Relu", name: "relu", inputs: ["x"], outputs: ["y"])])
    }
}
