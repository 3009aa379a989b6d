#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory; unmapped when the last tensor
/// borrowing from it goes away.
final class MappedFile: @unchecked Sendable {
    /// The file's bytes (empty, with a nil base, for an empty file).
    let bytes: UnsafeRawBufferPointer

    /// Why a file could not be mapped, in the words of the C library.
    struct Failure: Error {
        var reason: String
    }

    /// Maps the file at `path`; throws `Failure` with `strerror`'s text.
    init(path: String) throws(Failure) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(reason: lastErrorText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(reason: lastErrorText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Failure(reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw Failure(reason: lastErrorText())
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}

/// `strerror(errno)` as a Swift string.
func lastErrorText() -> String {
    String(cString: strerror(errno))
}

/// The canonical absolute path of `path` with every symlink resolved, or `nil` when it does not exist.
func resolvedPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
