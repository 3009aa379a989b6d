import CHDF5
import Foundation
import TensorCore

/// Writing attributes and datasets, for exporters.
///
/// Strings are UTF-8. A scalar string is variable-length (no size limit: the
/// text lives in the file's global heap). A string list is fixed-length,
/// NUL-padded to its longest element, as NumPy `S` arrays are; such a list is
/// stored in the object header, which HDF5 limits to 64 KB, so
/// `writeChunkedStringArrayAttribute` splits long lists as Keras does.
extension HDF5Group {
    /// The largest attribute Keras stores in one piece (`HDF5_OBJECT_HEADER_LIMIT`).
    public static let attributeByteLimit = 64512

    /// A scalar, variable-length UTF-8 string attribute (replaces none: the name must be new).
    public func writeStringAttribute(_ name: String, _ value: String) throws(HDF5Error) {
        let what = "\(path)@\(name)"
        let type = HDF5Handle(try checkedID("H5Tcopy", what) { H5Tcopy(chdf5_c_s1()) }, close: H5Tclose)
        try checked("H5Tset_size", what) { H5Tset_size(type.id, Int(bitPattern: UInt(chdf5_variable()))) }
        try checked("H5Tset_cset", what) { H5Tset_cset(type.id, H5T_CSET_UTF8) }
        let space = HDF5Handle(try checkedID("H5Screate", what) { H5Screate(H5S_SCALAR) }, close: H5Sclose)
        let attribute = HDF5Handle(try checkedID("H5Acreate2", what) {
            H5Acreate2(handle.id, name, type.id, space.id, chdf5_p_default(), chdf5_p_default())
        }, close: H5Aclose)
        let text = strdup(value)
        defer { free(text) }
        var pointer = UnsafePointer(text)
        try checked("H5Awrite", what) { H5Awrite(attribute.id, type.id, &pointer) }
    }

    /// A one-dimensional, fixed-length UTF-8 string attribute (NUL-padded to
    /// the longest element; an empty list has zero elements of width 1).
    public func writeStringArrayAttribute(_ name: String, _ values: [String]) throws(HDF5Error) {
        let what = "\(path)@\(name)"
        let encoded = values.map { Array($0.utf8) }
        let width = max(encoded.map(\.count).max() ?? 1, 1)
        let type = HDF5Handle(try checkedID("H5Tcopy", what) { H5Tcopy(chdf5_c_s1()) }, close: H5Tclose)
        try checked("H5Tset_size", what) { H5Tset_size(type.id, width) }
        try checked("H5Tset_strpad", what) { H5Tset_strpad(type.id, H5T_STR_NULLPAD) }
        try checked("H5Tset_cset", what) { H5Tset_cset(type.id, H5T_CSET_UTF8) }
        var dims = [hsize_t(values.count)]
        let space = HDF5Handle(try checkedID("H5Screate_simple", what) { H5Screate_simple(1, &dims, nil) }, close: H5Sclose)
        let attribute = HDF5Handle(try checkedID("H5Acreate2", what) {
            H5Acreate2(handle.id, name, type.id, space.id, chdf5_p_default(), chdf5_p_default())
        }, close: H5Aclose)
        guard !values.isEmpty else { return }
        var bytes = [UInt8](repeating: 0, count: width * values.count)
        for (i, value) in encoded.enumerated() {
            bytes.replaceSubrange((i * width)..<(i * width + value.count), with: value)
        }
        try checked("H5Awrite", what) { H5Awrite(attribute.id, type.id, &bytes) }
    }

    /// Writes `values` as `name`, or — when `count × longest` exceeds
    /// `attributeByteLimit` — as `name0`, `name1`, … in the fewest near-equal
    /// chunks that each fit (what `chunkedStringArrayAttribute` reads back).
    public func writeChunkedStringArrayAttribute(_ name: String, _ values: [String]) throws(HDF5Error) {
        let chunks = Self.chunked(values, limit: Self.attributeByteLimit)
        if chunks.count == 1 {
            try writeStringArrayAttribute(name, values)
            return
        }
        for (i, chunk) in chunks.enumerated() { try writeStringArrayAttribute("\(name)\(i)", chunk) }
    }

    /// `values` split into the fewest consecutive, near-equal parts whose
    /// fixed-width size (count × longest UTF-8 length) is at most `limit`.
    static func chunked(_ values: [String], limit: Int) -> [[String]] {
        func size(_ part: ArraySlice<String>) -> Int { part.count * (part.map(\.utf8.count).max() ?? 0) }
        var parts = 1
        while true {
            let base = values.count / parts, extra = values.count % parts
            var result: [[String]] = []
            var start = 0
            for p in 0..<parts {
                let length = base + (p < extra ? 1 : 0)
                result.append(Array(values[start..<(start + length)]))
                start += length
            }
            if result.allSatisfy({ size($0[...]) <= limit }) || parts >= values.count { return result }
            parts += 1
        }
    }

    /// A float32 dataset (stored little-endian IEEE) of the tensor's shape at
    /// `relativePath`; missing intermediate groups are created. Other float
    /// types are converted to float32 first.
    public func writeFloat32Dataset(_ relativePath: String, _ tensor: Tensor) throws(HDF5Error) {
        let target = childPath(relativePath)
        guard tensor.rank <= HDF5Dataset.maxRank else {
            throw .rankTooLarge(path: target, rank: tensor.rank, limit: HDF5Dataset.maxRank)
        }
        let values = tensor.dtype == .float32 ? tensor : tensor.converted(to: .float32)
        var dims = values.shape.map { hsize_t($0) }
        let space = HDF5Handle(try checkedID("H5Screate_simple", target) {
            values.rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil)
        }, close: H5Sclose)
        let links = HDF5Handle(try checkedID("H5Pcreate", target) { H5Pcreate(chdf5_p_link_create()) }, close: H5Pclose)
        try checked("H5Pset_create_intermediate_group", target) { H5Pset_create_intermediate_group(links.id, 1) }
        let dataset = HDF5Handle(try checkedID("H5Dcreate2", target) {
            H5Dcreate2(handle.id, relativePath, chdf5_ieee_f32le(), space.id, links.id, chdf5_p_default(), chdf5_p_default())
        }, close: H5Dclose)
        guard values.elementCount > 0 else { return }
        try checked("H5Dwrite", target) {
            H5Dwrite(dataset.id, chdf5_native_float(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
                     values.storage.bytes.baseAddress!)
        }
    }
}
