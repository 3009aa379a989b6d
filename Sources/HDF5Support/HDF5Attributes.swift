import CHDF5

private final class NameList { var names: [String] = [] }

/// Reading attributes of a group. Strings may be fixed-length or
/// variable-length, scalar or one-dimensional; Keras writes both kinds.
extension HDF5Group {
    /// Names of all attributes on this object (`H5Aiterate2`).
    public func attributeNames() throws(HDF5Error) -> [String] {
        let list = NameList()
        let box = Unmanaged.passRetained(list)
        defer { box.release() }
        var index: hsize_t = 0
        try checked("H5Aiterate2", path) {
            H5Aiterate2(handle.id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                let list = Unmanaged<NameList>.fromOpaque(context!).takeUnretainedValue()
                if let name { list.names.append(String(cString: name)) }
                return 0
            }, box.toOpaque())
        }
        return list.names
    }

    public func hasAttribute(_ name: String) throws(HDF5Error) -> Bool {
        try checked("H5Aexists", path) { H5Aexists(handle.id, name) } > 0
    }

    /// A scalar (or single-element) string attribute.
    public func stringAttribute(_ name: String) throws(HDF5Error) -> String {
        let values = try stringArrayAttribute(name)
        guard values.count == 1 else { throw .attributeNotString(object: path, name: name) }
        return values[0]
    }

    /// A string attribute as an array. An empty numeric array (h5py writes
    /// `weight_names` of a weightless layer as an empty float64 array) reads as `[]`.
    public func stringArrayAttribute(_ name: String) throws(HDF5Error) -> [String] {
        guard try hasAttribute(name) else { throw .missingAttribute(object: path, name: name) }
        let what = "\(path)@\(name)"
        let attribute = HDF5Handle(try checkedID("H5Aopen", what) { H5Aopen(handle.id, name, chdf5_p_default()) }, close: H5Aclose)
        let type = HDF5Handle(try checkedID("H5Aget_type", what) { H5Aget_type(attribute.id) }, close: H5Tclose)
        let space = HDF5Handle(try checkedID("H5Aget_space", what) { H5Aget_space(attribute.id) }, close: H5Sclose)
        let count = Int(try checked("H5Sget_simple_extent_npoints", what) { H5Sget_simple_extent_npoints(space.id) })
        guard H5Tget_class(type.id) == H5T_STRING else {
            if count == 0 { return [] }
            throw .attributeNotString(object: path, name: name)
        }
        if count == 0 { return [] }
        guard count <= 1 << 24 else { throw .tooLarge(path: what, shape: [count]) }
        // Attribute data is stored uncompressed: a variable-length string takes a 16-byte heap reference.
        try HDF5SizeLimit.checkInFile(count * 16, file: file, path: what)

        if try checked("H5Tis_variable_str", what, { H5Tis_variable_str(type.id) }) > 0 {
            let memory = HDF5Handle(try checkedID("H5Tcopy", what) { H5Tcopy(chdf5_c_s1()) }, close: H5Tclose)
            try checked("H5Tset_size", what) { H5Tset_size(memory.id, Int(bitPattern: UInt(chdf5_variable()))) }
            try checked("H5Tset_cset", what) { H5Tset_cset(memory.id, H5Tget_cset(type.id)) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try checked("H5Aread", what) { H5Aread(attribute.id, memory.id, &pointers) }
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            _ = H5Dvlen_reclaim(memory.id, space.id, chdf5_p_default(), &pointers)
            return strings
        }

        let width = try checked("H5Tget_size", what) { H5Tget_size(type.id) }
        guard width > 0, width <= 1 << 20 else { throw .attributeNotString(object: path, name: name) }
        try HDF5SizeLimit.checkInFile(count * Int(width), file: file, path: what)
        let memory = HDF5Handle(try checkedID("H5Tcopy", what) { H5Tcopy(type.id) }, close: H5Tclose)
        var bytes = [UInt8](repeating: 0, count: count * Int(width))
        try checked("H5Aread", what) { H5Aread(attribute.id, memory.id, &bytes) }
        return (0..<count).map { i in
            let slice = bytes[(i * Int(width))..<((i + 1) * Int(width))]
            return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// A long string list that Keras may split over `name0`, `name1`, … when
    /// it does not fit one HDF5 object header; reads the plain `name` when present.
    public func chunkedStringArrayAttribute(_ name: String) throws(HDF5Error) -> [String] {
        if try hasAttribute(name) { return try stringArrayAttribute(name) }
        let indices = try attributeNames().compactMap { attribute -> Int? in
            guard attribute.hasPrefix(name) else { return nil }
            let suffix = attribute.dropFirst(name.count)
            guard !suffix.isEmpty, suffix.allSatisfy(\.isASCII), suffix.allSatisfy(\.isNumber) else { return nil }
            return Int(suffix)
        }.sorted()
        guard !indices.isEmpty else { throw .missingAttribute(object: path, name: name) }
        guard indices == Array(0..<indices.count) else { throw .chunkGap(object: path, name: name, indices: indices) }
        var values: [String] = []
        for i in indices { values += try stringArrayAttribute("\(name)\(i)") }
        return values
    }
}
