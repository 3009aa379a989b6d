import Testing
@testable import TensorCore

@Test func elementCountRefusesNegativeAndOverflowingShapes() throws {
    #expect(throws: TensorError.negativeDimension(shape: [2, -1])) { try checkedElementCount([2, -1]) }
    #expect(throws: TensorError.elementCountOverflow(shape: [1 << 31, 1 << 31])) {
        try checkedElementCount([1 << 31, 1 << 31])
    }
    #expect(try checkedElementCount([2, 3, 4]) == 24)
}

@Test func storageWithWrongByteCountIsRefused() {
    let storage = TensorStorage(zeroedByteCount: 10)
    #expect(throws: TensorError.byteCount(shape: [3], dtype: .float32, expected: 12, actual: 10)) {
        try Tensor(dtype: .float32, shape: [3], storage: storage)
    }
}

@Test func mutatingBorrowedStorageCopiesFirst() throws {
    final class Owner {}
    let original: [Float] = [1, 2, 3]
    try original.withUnsafeBytes { bytes in
        var t = try Tensor(dtype: .float32, shape: [3], storage: TensorStorage(borrowing: bytes, owner: Owner()))
        t.withUnsafeMutableFloats { $0[0] = 9 }
        #expect(t.scalars == [9, 2, 3])
    }
    #expect(original == [1, 2, 3])
}

@Test func integerTensorsConvertToInt64AndFloat() {
    let t = Tensor(shape: [2], int64s: [-3, 7])
    #expect(t.int64s == [-3, 7])
    #expect(t.scalars == [-3, 7])
}

/// A float constant read as integers (shape inference tracks small constants) truncates
/// and saturates instead of trapping: the `onnx-graph` fuzzer's first crash.
@Test func floatsReadAsIntegersSaturate() {
    let t = Tensor(shape: [7], scalars: [.nan, .infinity, -.infinity, 1e30, -1e30, -2.7, 3.9])
    #expect(t.int64s == [0, .max, .min, .max, .min, -2, 3])
}
