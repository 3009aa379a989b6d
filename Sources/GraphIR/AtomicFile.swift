import Foundation

/// Writing outputs so that a crash, a kill or a full disk never leaves a partial
/// file under the final name: write a temporary file beside it, then rename.
///
/// Contract:
/// - The temporary file is `.<name>.<pid>.<uuid>.tmp` in the output's folder (same
///   file system, so `rename(2)` is atomic); its name cannot be guessed, and
///   `write(_:to:)` creates it with `O_EXCL | O_NOFOLLOW`, so nothing planted in
///   the folder is written through.
/// - A symlink at the output path is *replaced* by the new file (`rename(2)`
///   replaces the link itself); the file it pointed to is never touched.
/// - On failure the temporary file is removed and the output is left as it was.
/// - A SIGKILL leaves its temporary file behind (no handler runs). Each write removes
///   the temporaries of the same output whose writer process no longer exists
///   (`removeStaleTemporaries(of:)`); those of a live process are left alone.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temporary in try writeNew(data, to: temporary) }
    }

    /// Lets `body` create the file at a temporary path beside `url` (for
    /// libraries such as libhdf5 that write files by name), then renames it to
    /// `url`. When `body` or the rename fails, the temporary file is removed
    /// and `url` is left as it was.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        try write(to: url, checkedBy: { _ in }, body, failure: { $0 })
    }

    /// `write(to:_:)` that runs `check` on the complete temporary file before the
    /// rename, so a file that fails its check (or a kill during it) never reaches `url`.
    /// Errors of `body` and of the rename pass through `failure` (to the writer's own
    /// error type); the check's errors are thrown as they are.
    public static func write(to url: URL, checkedBy check: (URL) throws -> Void, _ body: (URL) throws -> Void,
                             failure wrap: (Error) -> Error) throws {
        removeStaleTemporaries(of: url)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).tmp")
        defer { _ = unlink(temporary.path) }  // after a successful rename, nothing is there
        do { try body(temporary) } catch { throw wrap(error) }
        try check(temporary)
        guard rename(temporary.path, url.path) == 0 else { throw wrap(failure(url, errno)) }
    }

    /// Removes `.<name>.<pid>.<uuid>.tmp` files of `url` (exactly that pattern) whose
    /// process `pid` is gone (`kill(pid, 0)` fails with `ESRCH`). A pid that exists, even
    /// if reused by another program, keeps its file. `unlink(2)` never follows a symlink.
    /// Best effort: a folder that cannot be listed is left as it is.
    static func removeStaleTemporaries(of url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(".tmp".count).split(separator: ".", omittingEmptySubsequences: false)
            guard middle.count == 2, middle[0].allSatisfy({ $0.isASCII && $0.isNumber }), let pid = pid_t(middle[0]),
                  pid > 0, UUID(uuidString: String(middle[1])) != nil, kill(pid, 0) != 0, errno == ESRCH else { continue }
            _ = unlink(folder.appendingPathComponent(name).path)
        }
    }

    /// Creates `url` (which must not exist, not even as a symlink), writes `data` and syncs it to disk.
    public static func writeNew(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw failure(url, errno) }
        defer { close(fd) }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw failure(url, errno) }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw failure(url, errno) }
    }

    private static func failure(_ url: URL, _ code: Int32) -> Error {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                 NSLocalizedDescriptionKey: String(cString: strerror(code))])
    }
}
