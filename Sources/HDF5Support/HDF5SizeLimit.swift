/// Sizes an HDF5 file declares, checked against the file before anything is
/// allocated, so the memory a file can make Graft use stays proportional to
/// the file's size.
///
/// - Data stored uncompressed (attributes, contiguous and compact datasets)
///   must fit in the file.
/// - Chunked datasets may be compressed: deflate cannot expand more than about
///   1032:1, so a chunked dataset may declare at most `maxExpansion` times the
///   bytes it stores (and the file holds), plus `allowance` for small datasets
///   whose chunks were never written (they read as the fill value).
public enum HDF5SizeLimit {
    public static let maxExpansion = 1100
    public static let allowance = 1 << 20

    /// Throws `.declaredBeyondFile` unless `declared` bytes can be stored in `file` uncompressed.
    static func checkInFile(_ declared: Int, file: HDF5File, path: String) throws(HDF5Error) {
        guard declared <= file.byteCount else {
            throw .declaredBeyondFile(path: path, declared: declared, fileSize: file.byteCount)
        }
    }

    /// Throws `.declaredBeyondFile` when a chunked dataset declares more than its stored
    /// bytes (and its file) can decompress to.
    static func checkDeclared(_ declared: Int, stored: Int, file: HDF5File, path: String) throws(HDF5Error) {
        let bound = min(stored, file.byteCount).multipliedReportingOverflow(by: maxExpansion)
        guard bound.overflow || declared <= bound.partialValue + allowance else {
            throw .declaredBeyondFile(path: path, declared: declared, fileSize: file.byteCount)
        }
    }
}
