import Foundation

/// Writing outputs so that a crash or a full disk never leaves a partial file
/// under the final name: write a temporary file beside it, then rename.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temporary in try data.write(to: temporary) }
    }

    /// Lets `body` create the file at a temporary path beside `url` (for
    /// libraries such as libhdf5 that write files by name), then renames it to
    /// `url`. When `body` or the rename fails, the temporary file is removed
    /// and `url` is left as it was.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try body(temporary)
            // rename(2) replaces a link itself, never the file a link points to.
            guard rename(temporary.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                               NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
