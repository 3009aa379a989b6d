/// Element types a tensor can hold.
///
/// The IR computes in `float32`; the integer types appear in the shape
/// subgraphs of exported models (Shape, Gather, Slice, Cast) and in indices.
/// Other types are converted on import or refused by the importer.
public enum DType: String, Sendable, Hashable, CaseIterable, Codable {
    case float32, float64, float16
    case int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16: true
        default: false
        }
    }
}
