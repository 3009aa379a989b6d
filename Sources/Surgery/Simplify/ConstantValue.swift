import GraphIR
import TensorCore

/// A constant's elements while folding: floats or integers in row-major order,
/// with the dtype the IR gives the value.
struct ConstantValue {
    enum Elements {
        case floats([Float])
        case ints([Int64])
    }

    var dtype: DType
    var shape: [Int]
    var elements: Elements

    init(dtype: DType, shape: [Int], elements: Elements) {
        self.dtype = dtype
        self.shape = shape
        self.elements = elements
    }

    init(_ tensor: Tensor) {
        dtype = tensor.dtype
        shape = tensor.shape
        elements = tensor.dtype.isFloatingPoint ? .floats(tensor.scalars) : .ints(tensor.int64s)
    }

    var count: Int { shape.reduce(1, *) }

    var ints: [Int64] {
        switch elements {
        case .ints(let v): v
        case .floats(let v): v.map { Int64($0) }
        }
    }

    var floats: [Float] {
        switch elements {
        case .floats(let v): v
        case .ints(let v): v.map { Float($0) }
        }
    }

    /// The value as a tensor, or `nil` for dtypes the folder does not write (float16, float64).
    var tensor: Tensor? {
        switch dtype {
        case .float32: return Tensor(shape: shape, scalars: floats)
        case .int64: return Tensor(shape: shape, int64s: ints)
        case .int32: return bytes(ints.map { Int32(truncatingIfNeeded: $0) })
        case .int16: return bytes(ints.map { Int16(truncatingIfNeeded: $0) })
        case .int8: return bytes(ints.map { Int8(truncatingIfNeeded: $0) })
        case .uint8: return bytes(ints.map { UInt8(truncatingIfNeeded: $0) })
        case .bool: return bytes(ints.map { $0 != 0 ? UInt8(1) : 0 })
        case .float16, .float64: return nil
        }
    }

    private func bytes<T>(_ values: [T]) -> Tensor? {
        let storage = values.withUnsafeBytes { TensorStorage(copying: $0) }
        return try? Tensor(dtype: dtype, shape: shape, storage: storage)
    }

    /// The elements at the given flat source indices, as a value of `shape`.
    func picking(_ indices: [Int], shape newShape: [Int]) -> ConstantValue {
        switch elements {
        case .floats(let v): ConstantValue(dtype: dtype, shape: newShape, elements: .floats(indices.map { v[$0] }))
        case .ints(let v): ConstantValue(dtype: dtype, shape: newShape, elements: .ints(indices.map { v[$0] }))
        }
    }

    func reshaped(_ newShape: [Int]) -> ConstantValue {
        ConstantValue(dtype: dtype, shape: newShape, elements: elements)
    }
}

/// Row-major strides of `shape`.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = Array(repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = running
        running *= shape[axis]
    }
    return strides
}

/// For each element of a value of `outShape` (row-major), the flat index in a
/// source of `sourceShape`, where output axis `k` walks source axis `axisMap[k]`
/// with the index `picks[k][i]` (source axes not in `axisMap` stay 0).
func sourceIndices(outShape: [Int], sourceShape: [Int], axisMap: [Int], picks: [[Int]]) -> [Int] {
    let sourceStrides = rowMajorStrides(sourceShape)
    var result: [Int] = []
    result.reserveCapacity(outShape.reduce(1, *))
    func walk(_ axis: Int, _ offset: Int) {
        if axis == outShape.count { result.append(offset); return }
        let stride = sourceStrides[axisMap[axis]]
        for i in picks[axis] { walk(axis + 1, offset + i * stride) }
    }
    if outShape.contains(0) { return [] }
    walk(0, 0)
    return result
}
