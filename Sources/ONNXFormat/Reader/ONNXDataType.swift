import TensorCore

/// `TensorProto.DataType` codes and their mapping to `DType`.
enum ONNXDataType {
    static let float: Int32 = 1
    static let uint8: Int32 = 2
    static let int8: Int32 = 3
    static let int16: Int32 = 5
    static let int32: Int32 = 6
    static let int64: Int32 = 7
    static let bool: Int32 = 9
    static let float16: Int32 = 10
    static let double: Int32 = 11

    private static let names: [Int32: String] = [
        0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32",
        7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64",
        14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ",
        19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1",
    ]

    /// `FLOAT`, `INT64`, …, or `"code N"` for codes newer than Graft's schema.
    static func name(of code: Int32) -> String {
        names[code] ?? "code \(code)"
    }

    /// The IR element type for an ONNX code, or `nil` when Graft has none.
    static func dtype(_ code: Int32) -> DType? {
        switch code {
        case float: .float32
        case double: .float64
        case float16: .float16
        case int64: .int64
        case int32: .int32
        case int16: .int16
        case int8: .int8
        case uint8: .uint8
        case bool: .bool
        default: nil
        }
    }

    /// The ONNX code for an IR element type.
    static func code(_ dtype: DType) -> Int32 {
        switch dtype {
        case .float32: float
        case .float64: double
        case .float16: float16
        case .int64: int64
        case .int32: int32
        case .int16: int16
        case .int8: int8
        case .uint8: uint8
        case .bool: bool
        }
    }
}
