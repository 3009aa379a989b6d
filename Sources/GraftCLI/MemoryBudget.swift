import Foundation

/// Caps the process's private writable memory (`RLIMIT_DATA`, which covers
/// `malloc` and anonymous `mmap`) while an HDF5-based file is read.
///
/// libhdf5 1.10 allocates what a corrupt file declares: fuzzing found a 52 kB
/// `.keras` whose variable-length string made `H5T__conv_vlen` allocate and fill
/// 2 GiB (peak RSS 4 GB). Graft's own reads are bounded by the file's size
/// (`HDF5SizeLimit`), so a read may use at most `budget(forFile:)` more than the
/// process already has; past that, `malloc` fails inside libhdf5 and the read
/// ends with libhdf5's error instead of eating the machine. The previous limit
/// is restored afterwards.
enum MemoryBudget {
    /// 1 GiB plus 8 bytes per byte of the file (weights are widened to float32 and copied once).
    static func budget(forFile url: URL) -> Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return (1 << 30) + 8 * size
    }

    static func limited<T>(forFile url: URL, _ body: () throws -> T) throws -> T {
        let resource = __rlimit_resource_t(RLIMIT_DATA.rawValue)
        var previous = rlimit()
        guard getrlimit(resource, &previous) == 0, let used = dataBytesInUse() else { return try body() }
        var capped = previous
        capped.rlim_cur = min(previous.rlim_max, rlim_t(used + budget(forFile: url)))
        guard setrlimit(resource, &capped) == 0 else { return try body() }
        defer { _ = setrlimit(resource, &previous) }
        return try body()
    }

    /// `VmData` of /proc/self/status: what RLIMIT_DATA counts.
    static func dataBytesInUse() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmData:") }),
              let kB = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kB * 1024
    }
}
