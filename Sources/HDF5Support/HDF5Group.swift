import CHDF5

/// A group (folder) inside an HDF5 file. `path` is its absolute path, for messages.
public struct HDF5Group: @unchecked Sendable {
    let handle: HDF5Handle
    public let path: String
    let file: HDF5File


    func childPath(_ name: String) -> String {
        path == "/" ? "/" + name : path + "/" + name
    }

    /// Names of the direct children (groups, datasets, links), in name order.
    public func childNames() throws(HDF5Error) -> [String] {
        var info = H5G_info_t()
        try checked("H5Gget_info", path) { H5Gget_info(handle.id, &info) }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let length = try checked("H5Lget_name_by_idx", path) {
                H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, chdf5_p_default())
            }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            try checked("H5Lget_name_by_idx", path) {
                H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, chdf5_p_default())
            }
            names.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// What kind of object `relativePath` (which may contain `/`) names, or `nil` when nothing is there.
    public func kind(of relativePath: String) throws(HDF5Error) -> HDF5ObjectKind? {
        var prefix = ""
        for component in relativePath.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += prefix.isEmpty ? String(component) : "/" + component
            let exists = try checked("H5Lexists", childPath(prefix)) {
                H5Lexists(handle.id, prefix, chdf5_p_default())
            }
            if exists == 0 { return nil }
        }
        guard !prefix.isEmpty else { return .group }
        let id = try checkedID("H5Oopen", childPath(relativePath)) { H5Oopen(handle.id, relativePath, chdf5_p_default()) }
        defer { H5Oclose(id) }
        switch H5Iget_type(id) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Opens the group at `relativePath` (`H5Gopen2`).
    public func group(_ relativePath: String) throws(HDF5Error) -> HDF5Group {
        let target = childPath(relativePath)
        switch try kind(of: relativePath) {
        case .group: break
        case nil: throw .missingObject(path: target)
        default: throw .wrongKind(path: target, expected: "group")
        }
        let id = try checkedID("H5Gopen2", target) { H5Gopen2(handle.id, relativePath, chdf5_p_default()) }
        return HDF5Group(handle: HDF5Handle(id, close: H5Gclose), path: target, file: file)
    }

    /// Opens the dataset at `relativePath` (`H5Dopen2`) and reads its type and shape.
    public func dataset(_ relativePath: String) throws(HDF5Error) -> HDF5Dataset {
        let target = childPath(relativePath)
        switch try kind(of: relativePath) {
        case .dataset: break
        case nil: throw .missingObject(path: target)
        default: throw .wrongKind(path: target, expected: "dataset")
        }
        let id = try checkedID("H5Dopen2", target) { H5Dopen2(handle.id, relativePath, chdf5_p_default()) }
        return try HDF5Dataset(handle: HDF5Handle(id, close: H5Dclose), path: target, file: file)
    }

    /// Creates a subgroup (`H5Gcreate2`), for writers.
    public func createGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        let target = childPath(name)
        let id = try checkedID("H5Gcreate2", target) {
            H5Gcreate2(handle.id, name, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
        }
        return HDF5Group(handle: HDF5Handle(id, close: H5Gclose), path: target, file: file)
    }
}

public enum HDF5ObjectKind: Sendable, Equatable {
    case group, dataset, other
}
