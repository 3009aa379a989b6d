import ZIPFoundation

/// What a `.keras` archive may hold, checked from its central directory before
/// anything is extracted.
///
/// - Every entry name is a relative path inside the archive: no absolute path,
///   no `..` component (Keras never writes such names; Graft never extracts by
///   name, but an archive that has them was not written by Keras).
/// - The entries Graft reads are regular files, not symlinks or folders.
/// - An entry may expand to at most `maxExpansion` times its compressed size
///   (`minimumChecked` bytes are always allowed): model weights compress
///   barely at all, so a higher ratio is a zip bomb, and the temporary file and
///   memory stay proportional to the archive.
enum ArchiveEntryCheck {
    static let maxExpansion: UInt64 = 200
    static let minimumChecked: UInt64 = 64 << 20

    /// Refuses an archive with any entry name that leaves the archive's folder.
    static func checkNames(_ archive: Archive, path: String) throws(KerasImportError) {
        for entry in archive {
            let name = entry.path
            let components = name.split(whereSeparator: { $0 == "/" || $0 == "\\" })
            if name.hasPrefix("/") || name.hasPrefix("\\") || components.contains("..")
                || (name.count >= 2 && name.dropFirst().first == ":") {
                throw .zipEntryOutsideArchive(path: path, entry: name)
            }
        }
    }

    /// Refuses an entry that is not a regular file or claims an absurd compression ratio.
    static func checkEntry(_ entry: Entry, path: String) throws(KerasImportError) {
        guard entry.type == .file else {
            throw .zipEntryNotAFile(path: path, entry: entry.path, kind: "\(entry.type)")
        }
        let compressed = max(entry.compressedSize, 1)
        let size = entry.uncompressedSize
        let (bound, overflow) = compressed.multipliedReportingOverflow(by: maxExpansion)
        if size > minimumChecked, !overflow, size > bound {
            throw .zipBomb(path: path, entry: entry.path, compressed: Int(clamping: entry.compressedSize),
                           uncompressed: Int(clamping: size))
        }
    }
}
