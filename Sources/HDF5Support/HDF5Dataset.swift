import CHDF5
import TensorCore

/// A dataset: an n-dimensional array of one element type. Shape and type are
/// read when it is opened; the data only by `readFloat32()`.
public struct HDF5Dataset: @unchecked Sendable {
    /// Datasets of higher rank are refused before anything is allocated.
    public static let maxRank = 8

    let handle: HDF5Handle
    public let path: String
    let file: HDF5File
    /// The element type as stored.
    public let dtype: DType
    /// The dimensions as stored (row-major, as h5py shows them).
    public let shape: [Int]


    init(handle: HDF5Handle, path: String, file: HDF5File) throws(HDF5Error) {
        self.handle = handle
        self.path = path
        self.file = file
        let space = HDF5Handle(try checkedID("H5Dget_space", path) { H5Dget_space(handle.id) }, close: H5Sclose)
        let rank = Int(try checked("H5Sget_simple_extent_ndims", path) { H5Sget_simple_extent_ndims(space.id) })
        guard rank <= Self.maxRank else { throw .rankTooLarge(path: path, rank: rank, limit: Self.maxRank) }
        var dims = [hsize_t](repeating: 0, count: rank)
        try checked("H5Sget_simple_extent_dims", path) { H5Sget_simple_extent_dims(space.id, &dims, nil) }
        var shape: [Int] = []
        for d in dims {
            guard d <= hsize_t(Int.max) else { throw .tooLarge(path: path, shape: dims.map { Int(clamping: $0) }) }
            shape.append(Int(d))
        }
        self.shape = shape
        let type = HDF5Handle(try checkedID("H5Dget_type", path) { H5Dget_type(handle.id) }, close: H5Tclose)
        self.dtype = try Self.elementType(type.id, path: path)
    }

    private static func elementType(_ type: hid_t, path: String) throws(HDF5Error) -> DType {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size {
            case 2: return .float16
            case 4: return .float32
            case 8: return .float64
            default: throw .unsupportedDatatype(path: path, description: "\(size * 8)-bit float")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) != H5T_SGN_NONE
            switch (size, signed) {
            case (1, false): return .uint8
            case (1, true): return .int8
            case (2, true): return .int16
            case (4, true): return .int32
            case (8, true): return .int64
            default: throw .unsupportedDatatype(path: path, description: "\(signed ? "" : "unsigned ")\(size * 8)-bit integer")
            }
        case H5T_STRING: throw .unsupportedDatatype(path: path, description: "string")
        case H5T_COMPOUND: throw .unsupportedDatatype(path: path, description: "compound")
        default: throw .unsupportedDatatype(path: path, description: "HDF5 class \(H5Tget_class(type).rawValue)")
        }
    }

    /// The element count, checked against overflow and Graft's allocation limit.
    public func elementCount() throws(HDF5Error) -> Int {
        do { return try checkedElementCount(shape) } catch { throw .tooLarge(path: path, shape: shape) }
    }

    /// Reads the whole dataset as a float32 tensor of the stored shape; libhdf5
    /// converts float64, float16 and integers. The stored byte count is checked
    /// first for contiguous datasets, so a truncated file cannot yield fill values.
    public func readFloat32() throws(HDF5Error) -> Tensor {
        let count = try elementCount()
        let (bytes, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow, bytes <= 1 << 34 else { throw .tooLarge(path: path, shape: shape) }
        try checkStoredSize(count: count)
        let storage = TensorStorage(zeroedByteCount: bytes)
        if count > 0 {
            try checked("H5Dread", path) {
                H5Dread(handle.id, chdf5_native_float(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
                        UnsafeMutableRawPointer(mutating: storage.bytes.baseAddress!))
            }
        }
        do { return try Tensor(dtype: .float32, shape: shape, storage: storage) } catch {
            throw .tooLarge(path: path, shape: shape)
        }
    }

    private func checkStoredSize(count: Int) throws(HDF5Error) {
        let plist = HDF5Handle(try checkedID("H5Dget_create_plist", path) { H5Dget_create_plist(handle.id) }, close: H5Pclose)
        let layout = H5Pget_layout(plist.id)
        let expected = count * dtype.byteWidth
        let stored = Int(clamping: H5Dget_storage_size(handle.id))
        guard layout == H5D_CONTIGUOUS || layout == H5D_COMPACT else {
            // Chunked (maybe compressed) data may be smaller than it declares, but not without bound:
            // unwritten chunks read as fill values, so a tiny file could declare gigabytes.
            try HDF5SizeLimit.checkDeclared(expected, stored: stored, file: file, path: path)
            return
        }
        try HDF5SizeLimit.checkInFile(expected, file: file, path: path)
        guard stored == expected else { throw .storageSize(path: path, expected: expected, actual: stored) }
    }
}
