import CHDF5
import Foundation

/// An open HDF5 file. The file stays open while this object, or any group or
/// dataset opened from it, is alive; `H5Fclose` runs in `deinit`.
public final class HDF5File: @unchecked Sendable {
    public let path: String
    let handle: HDF5Handle
    /// The file's size when it was opened (`Int.max` for a file being written):
    /// what the file declares is checked against it before anything is allocated.
    public let byteCount: Int

    private init(path: String, handle: HDF5Handle, byteCount: Int) {
        self.path = path
        self.handle = handle
        self.byteCount = byteCount
    }

    /// Opens an existing file read-only (`H5Fopen`). A file without the HDF5
    /// signature fails with `.notHDF5` before libhdf5 sees it.
    public static func open(_ url: URL) throws(HDF5Error) -> HDF5File {
        let path = url.path
        let size = try checkSignature(path)
        let id = try checkedID("H5Fopen", path) { H5Fopen(path, chdf5_acc_rdonly(), chdf5_p_default()) }
        return HDF5File(path: path, handle: HDF5Handle(id, close: H5Fclose), byteCount: Int(clamping: size))
    }

    /// Creates a file, replacing any existing one (`H5Fcreate` with `H5F_ACC_TRUNC`).
    /// `userBlock` bytes (0, or a power of two ≥ 512) before the superblock are left
    /// to the caller (`H5Pset_userblock`); libhdf5 neither writes nor reads them.
    public static func create(_ url: URL, userBlock: Int = 0) throws(HDF5Error) -> HDF5File {
        let path = url.path
        let properties = HDF5Handle(try checkedID("H5Pcreate", path) { H5Pcreate(chdf5_p_file_create()) }, close: H5Pclose)
        if userBlock > 0 {
            try checked("H5Pset_userblock", path) { H5Pset_userblock(properties.id, hsize_t(userBlock)) }
        }
        let id = try checkedID("H5Fcreate", path) {
            H5Fcreate(path, chdf5_acc_trunc(), properties.id, chdf5_p_default())
        }
        return HDF5File(path: path, handle: HDF5Handle(id, close: H5Fclose), byteCount: .max)
    }

    /// The root group `/`.
    public func root() throws(HDF5Error) -> HDF5Group {
        let id = try checkedID("H5Gopen2", "\(path):/") { H5Gopen2(handle.id, "/", chdf5_p_default()) }
        return HDF5Group(handle: HDF5Handle(id, close: H5Gclose), path: "/", file: self)
    }

    /// The 8-byte signature HDF5 puts at the start of the superblock.
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The superblock sits at offset 0, 512, 1024, 2048, … (a user block may precede it).
    /// Returns the file's size.
    @discardableResult
    static func checkSignature(_ path: String) throws(HDF5Error) -> UInt64 {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .cannotRead(path: path, reason: "the file does not exist or is not readable")
        }
        defer { try? handle.close() }
        let size: UInt64
        do { size = try handle.seekToEnd() } catch {
            throw .cannotRead(path: path, reason: "\(error)")
        }
        var offset: UInt64 = 0
        while offset + 8 <= size {
            do {
                try handle.seek(toOffset: offset)
                if let bytes = try handle.read(upToCount: 8), Array(bytes) == signature { return size }
            } catch {
                throw .cannotRead(path: path, reason: "\(error)")
            }
            offset = offset == 0 ? 512 : offset * 2
        }
        throw .notHDF5(path: path, byteCount: Int(size))
    }
}
