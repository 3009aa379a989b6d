import CONNXProto
import TensorCore

/// Turns `TensorProto`s into `ONNXTensor`s, checking every size against the shape.
///
/// `raw_data` is borrowed from the decoded message (no copy); the typed fields
/// (`float_data`, `int32_data`, `int64_data`, `double_data`) are converted;
/// external data goes through `ExternalDataResolver`.
struct TensorDecoder {
    let file: String
    /// Keeps the unpacked message alive while tensors borrow its `raw_data`.
    let owner: AnyObject
    let externalData: ExternalDataResolver

    func decode(_ proto: UnsafePointer<Onnx__TensorProto>, fallbackName: String) throws -> ONNXTensor {
        let p = proto.pointee
        let stored = swiftString(p.name)
        let name = stored.isEmpty ? fallbackName : stored
        let code = p.has_data_type != 0 ? p.data_type : 0
        guard let dtype = ONNXDataType.dtype(code) else {
            throw ONNXImportError.unsupportedDataType(file: file, tensor: name, dataType: code)
        }
        guard p.segment == nil else {
            throw ONNXImportError.unsupportedTensorStorage(file: file, tensor: name, reason: "is stored in segments")
        }
        let dims = values(p.dims, p.n_dims).map { Int($0) }
        let count: Int
        do { count = try checkedElementCount(dims) } catch {
            throw ONNXImportError.invalidShape(file: file, value: name, dims: dims, reason: shapeProblem(error))
        }
        let expectedBytes = count * dtype.byteWidth

        let storage: TensorStorage
        if p.has_data_location != 0 && p.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL {
            var entries: [String: String] = [:]
            for entry in elements(p.external_data, p.n_external_data) {
                entries[swiftString(entry.pointee.key)] = swiftString(entry.pointee.value)
            }
            storage = try externalData.storage(tensor: name, entries: entries, dims: dims, dtype: dtype,
                                               expectedBytes: expectedBytes)
        } else if p.has_raw_data != 0 && p.raw_data.len > 0 {
            guard p.raw_data.len == expectedBytes, let base = p.raw_data.data else {
                throw mismatch(name, dims, dtype, expectedBytes, p.raw_data.len)
            }
            storage = TensorStorage(borrowing: UnsafeRawBufferPointer(start: base, count: expectedBytes), owner: owner)
        } else {
            storage = try typedStorage(p, name: name, dims: dims, dtype: dtype, count: count)
        }
        let tensor = try Tensor(dtype: dtype, shape: dims, storage: storage)
        return ONNXTensor(name: name, dataType: code, tensor: tensor)
    }

    /// Elements from the typed repeated fields; each must hold exactly `count` values.
    private func typedStorage(_ p: Onnx__TensorProto, name: String, dims: [Int], dtype: DType,
                              count: Int) throws -> TensorStorage {
        func checked<T>(_ found: [T]) throws -> [T] {
            guard found.count == count else {
                throw mismatch(name, dims, dtype, count * dtype.byteWidth, found.count * dtype.byteWidth)
            }
            return found
        }
        switch dtype {
        case .float32: return owned(try checked(values(p.float_data, p.n_float_data)))
        case .float64: return owned(try checked(values(p.double_data, p.n_double_data)))
        case .int64: return owned(try checked(values(p.int64_data, p.n_int64_data)))
        case .int32: return owned(try checked(values(p.int32_data, p.n_int32_data)))
        case .int16: return owned(try checked(values(p.int32_data, p.n_int32_data)).map { Int16(truncatingIfNeeded: $0) })
        case .int8: return owned(try checked(values(p.int32_data, p.n_int32_data)).map { Int8(truncatingIfNeeded: $0) })
        case .uint8, .bool: return owned(try checked(values(p.int32_data, p.n_int32_data)).map { UInt8(truncatingIfNeeded: $0) })
        case .float16: return owned(try checked(values(p.int32_data, p.n_int32_data)).map { UInt16(truncatingIfNeeded: $0) })
        }
    }

    private func owned<T>(_ elements: [T]) -> TensorStorage {
        elements.withUnsafeBytes { TensorStorage(copying: $0) }
    }

    private func mismatch(_ name: String, _ dims: [Int], _ dtype: DType, _ expected: Int, _ actual: Int) -> ONNXImportError {
        .tensorSizeMismatch(file: file, tensor: name, dims: dims, dtype: dtype, expectedBytes: expected, actualBytes: actual)
    }
}

/// A few words on why `checkedElementCount` refused a shape.
func shapeProblem(_ error: TensorError) -> String {
    switch error {
    case .negativeDimension: "a dimension is negative"
    case .elementCountOverflow: "more elements than fit in memory"
    case .byteCount: "its size does not match its bytes"
    }
}
