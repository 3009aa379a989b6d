/// A dense, row-major tensor with concrete dimensions.
///
/// Values are immutable by default; the `mutating` accessors copy borrowed or
/// shared storage first (copy-on-write), so a tensor read from a file can be
/// trained without touching the file's memory.
public struct Tensor: Sendable {
    public let dtype: DType
    public let shape: [Int]
    public private(set) var storage: TensorStorage

    /// A tensor over existing storage; throws when the byte count does not match the shape.
    public init(dtype: DType, shape: [Int], storage: TensorStorage) throws(TensorError) {
        let count = try checkedElementCount(shape)
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
        guard !overflow, storage.bytes.count == expected else {
            throw .byteCount(shape: shape, dtype: dtype, expected: overflow ? Int.max : expected,
                             actual: storage.bytes.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
    }

    /// A float32 tensor holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        let storage = scalars.withUnsafeBytes { TensorStorage(copying: $0) }
        self.dtype = .float32
        self.shape = shape
        self.storage = storage
    }

    /// An int64 tensor holding `values`.
    public init(shape: [Int], int64s values: [Int64]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.dtype = .int64
        self.shape = shape
        self.storage = values.withUnsafeBytes { TensorStorage(copying: $0) }
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        self.dtype = dtype
        self.shape = shape
        self.storage = TensorStorage(zeroedByteCount: shape.reduce(1, *) * dtype.byteWidth)
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
    public var byteCount: Int { storage.bytes.count }

    /// The elements as `Float`, converted from any dtype.
    public var scalars: [Float] {
        get {
            switch dtype {
            case .float32: return withUnsafeFloats { Array($0) }
            case .float64: return storage.bytes.withMemoryRebound(to: Double.self) { $0.map { Float($0) } }
            case .float16: return halfToFloat(storage.bytes)
            default: return int64s.map { Float($0) }
            }
        }
        set {
            precondition(dtype == .float32 && newValue.count == elementCount, "scalars setter needs float32 and the same count")
            storage = newValue.withUnsafeBytes { TensorStorage(copying: $0) }
        }
    }

    /// The elements as `Int64`, converted from any integer or bool dtype. Floats truncate
    /// and saturate (NaN is 0): a hostile file's float constant must not trap here.
    public var int64s: [Int64] {
        let b = storage.bytes
        switch dtype {
        case .int64: return b.withMemoryRebound(to: Int64.self) { Array($0) }
        case .int32: return b.withMemoryRebound(to: Int32.self) { $0.map(Int64.init) }
        case .int16: return b.withMemoryRebound(to: Int16.self) { $0.map(Int64.init) }
        case .int8: return b.withMemoryRebound(to: Int8.self) { $0.map(Int64.init) }
        case .uint8, .bool: return b.map(Int64.init)
        case .float32, .float64, .float16:
            return scalars.map { v in
                if v.isNaN { return 0 }
                if v >= 0x1p63 { return .max }
                return v <= -0x1p63 ? .min : Int64(v)
            }
        }
    }

    /// Read access to float32 elements without copying.
    public func withUnsafeFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "withUnsafeFloats on a \(dtype) tensor")
        return try storage.bytes.withMemoryRebound(to: Float.self, body)
    }

    /// Write access to float32 elements; copies first when the storage is borrowed or shared.
    public mutating func withUnsafeMutableFloats<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "withUnsafeMutableFloats on a \(dtype) tensor")
        if !storage.isOwned || !isKnownUniquelyReferenced(&storage) {
            storage = TensorStorage(copying: storage.bytes)
        }
        return try storage.mutableBytes.withMemoryRebound(to: Float.self, body)
    }

    /// The same elements as float32 (a copy unless already float32).
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return self }
        switch target {
        case .float32: return Tensor(shape: shape, scalars: scalars)
        case .int64: return Tensor(shape: shape, int64s: int64s)
        default: preconditionFailure("conversion to \(target) is not supported")
        }
    }

    /// The same elements with a new shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == elementCount, "reshape \(shape) -> \(newShape)")
        return try! Tensor(dtype: dtype, shape: newShape, storage: storage)
    }
}

private func halfToFloat(_ bytes: UnsafeRawBufferPointer) -> [Float] {
    bytes.withMemoryRebound(to: UInt16.self) { halves in
        halves.map { Float(Float16(bitPattern: $0)) }
    }
}
