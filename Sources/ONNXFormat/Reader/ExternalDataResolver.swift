import Foundation
import TensorCore

/// Finds and maps the side files that hold tensors with `data_location = EXTERNAL`.
///
/// Contract: a location is a relative path inside the model's folder. Absolute
/// paths, `..` components and symlinks that resolve outside the folder are
/// refused; `offset` and `length` must lie within the file. Each file is
/// mapped once and shared by all tensors that read from it.
final class ExternalDataResolver {
    private let file: String
    /// The model's folder; `nil` when the model was read from memory.
    private let folder: URL?
    private var mapped: [String: MappedFile] = [:]

    init(file: String, folder: URL?) {
        self.file = file
        self.folder = folder
    }

    /// The `expectedBytes` bytes of tensor `tensor` described by `entries`
    /// (`location`, `offset`, `length`), borrowed from the mapped file when aligned.
    func storage(tensor: String, entries: [String: String], dims: [Int], dtype: DType,
                 expectedBytes: Int) throws -> TensorStorage {
        guard let location = entries["location"], !location.isEmpty else {
            throw ONNXImportError.externalDataInvalid(file: file, tensor: tensor, reason: "no \"location\" entry")
        }
        let offset = try number(entries["offset"], key: "offset", tensor: tensor) ?? 0
        let length = try number(entries["length"], key: "length", tensor: tensor)
        let data = try map(location: location, tensor: tensor)

        let fileSize = data.bytes.count
        let available = offset <= fileSize ? fileSize - offset : -1
        let wanted = length ?? max(available, 0)
        guard available >= 0, wanted <= available else {
            throw ONNXImportError.externalDataOutOfRange(file: file, tensor: tensor, location: location,
                                                        offset: offset, length: wanted, fileSize: fileSize)
        }
        guard wanted == expectedBytes else {
            throw ONNXImportError.tensorSizeMismatch(file: file, tensor: tensor, dims: dims, dtype: dtype,
                                                     expectedBytes: expectedBytes, actualBytes: wanted)
        }
        guard wanted > 0, let base = data.bytes.baseAddress else { return TensorStorage(zeroedByteCount: 0) }
        let slice = UnsafeRawBufferPointer(start: base + offset, count: wanted)
        // Typed access needs natural alignment; the spec only recommends page-aligned offsets.
        if Int(bitPattern: slice.baseAddress) % dtype.byteWidth != 0 {
            return TensorStorage(copying: slice)
        }
        return TensorStorage(borrowing: slice, owner: data)
    }

    private func number(_ value: String?, key: String, tensor: String) throws -> Int? {
        guard let value else { return nil }
        guard let n = Int(value), n >= 0 else {
            throw ONNXImportError.externalDataInvalid(file: file, tensor: tensor,
                                                     reason: "\"\(key)\" is \"\(value)\", not a non-negative integer")
        }
        return n
    }

    private func map(location: String, tensor: String) throws -> MappedFile {
        guard let folder else {
            throw ONNXImportError.externalDataMissing(file: file, tensor: tensor, location: location,
                                                      reason: "the model was read from memory without a directory to look in")
        }
        let components = location.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        guard !location.hasPrefix("/"), !location.hasPrefix("\\"), !components.contains("..") else {
            throw ONNXImportError.externalDataOutsideFolder(file: file, tensor: tensor, location: location)
        }
        let candidate = folder.appendingPathComponent(location).path
        guard let realFolder = resolvedPath(folder.path), let realFile = resolvedPath(candidate) else {
            throw ONNXImportError.externalDataMissing(file: file, tensor: tensor, location: location,
                                                      reason: "no such file in \(folder.path)")
        }
        guard realFile.hasPrefix(realFolder.hasSuffix("/") ? realFolder : realFolder + "/") else {
            throw ONNXImportError.externalDataOutsideFolder(file: file, tensor: tensor, location: location)
        }
        if let existing = mapped[realFile] { return existing }
        do {
            let data = try MappedFile(path: realFile)
            mapped[realFile] = data
            return data
        } catch {
            throw ONNXImportError.externalDataMissing(file: file, tensor: tensor, location: location, reason: error.reason)
        }
    }
}
