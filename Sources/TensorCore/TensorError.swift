/// Errors from building tensors out of untrusted sizes.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    case negativeDimension(shape: [Int])
    case elementCountOverflow(shape: [Int])
    case byteCount(shape: [Int], dtype: DType, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .negativeDimension(shape):
            "shape \(shape) has a negative dimension"
        case let .elementCountOverflow(shape):
            "shape \(shape) has more elements than fit in memory"
        case let .byteCount(shape, dtype, expected, actual):
            "a \(dtype) tensor of shape \(shape) needs \(expected) bytes, found \(actual)"
        }
    }
}

/// The product of `dims`, refusing negative sizes and overflow (sizes come from files).
public func checkedElementCount(_ dims: [Int]) throws(TensorError) -> Int {
    var count = 1
    for d in dims {
        guard d >= 0 else { throw .negativeDimension(shape: dims) }
        let (p, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, p <= 1 << 40 else { throw .elementCountOverflow(shape: dims) }
        count = p
    }
    return count
}
