import ArgumentParser
import Foundation
import KerasFormat

/// Reads a Keras file once in a child process before `graft` reads it itself.
///
/// libhdf5 1.10 (Debian 12) has memory bugs that a corrupt file can trigger —
/// fuzzing found out-of-bounds `memcpy`s in its global heap and vlen conversion
/// (Docs/reliability.md). They crash the process before any error can be
/// returned, and no check short of re-implementing HDF5 catches them all. So the
/// first read of every `.h5`/`.keras` file runs in `graft __probe-keras`: when
/// that child dies from a signal (or hangs), the parent reports one clear error
/// instead of crashing; when it exits, the parent reads the file as usual (and
/// reports the format's own error, if any). The cost is one extra read.
enum IsolatedHDF5Read {
    /// Seconds the child may take (`GRAFT_READ_TIMEOUT`, default 120); a file that takes longer is refused as broken.
    static var timeout: TimeInterval {
        ProcessInfo.processInfo.environment["GRAFT_READ_TIMEOUT"].flatMap(TimeInterval.init) ?? 120
    }

    static func timedOut(_ path: String, after seconds: TimeInterval) -> CLIError {
        .readerCrashed(path: path, how: "did not finish within \(String(format: "%g", seconds)) s (GRAFT_READ_TIMEOUT sets the limit)")
    }

    /// Throws `CLIError.readerCrashed` when reading `url` (with `config`) kills or hangs the child.
    static func probe(_ url: URL, config: URL?, listOnly: Bool) throws(CLIError) {
        guard ProcessInfo.processInfo.environment["GRAFT_PROBE_CHILD"] == nil else { return }
        var environment = ProcessInfo.processInfo.environment
        environment["GRAFT_PROBE_CHILD"] = "1"
        // The child's crash report would only be noise on the user's terminal.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let arguments = [ProbeKerasFile.configuration.commandName!, url.path]
            + (config.map { ["--config", $0.path] } ?? []) + (listOnly ? ["--list-only"] : [])
        guard let child = ChildProcess.spawn(executablePath, arguments: arguments, environment: environment) else {
            // Without a child there is no isolation, but the file may still be fine: the
            // parent reads it in process, under `ReadWatchdog`.
            return
        }
        let timeout = Self.timeout
        switch child.wait(seconds: timeout) {
        case .timedOut:
            throw timedOut(url.path, after: timeout)
        case let .signalled(signal):
            throw .readerCrashed(path: url.path, how: "crashed (\(signalName(signal)))")
        case .exited(0):
            return
        case let .exited(status):
            // The probe exits 0 whatever the file holds; another status is a runtime that caught
            // the crash itself (AddressSanitizer exits 1 after its report).
            throw .readerCrashed(path: url.path, how: "crashed (exit status \(status))")
        }
    }

    /// This executable's own path (the link /proc/self/exe resolved), for the child to run.
    static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGBUS: "SIGBUS"
        case SIGABRT: "SIGABRT"
        case SIGFPE: "SIGFPE"
        case SIGILL: "SIGILL"
        case SIGKILL: "SIGKILL, out of memory?"
        default: "signal \(signal)"
        }
    }
}

/// `graft __probe-keras FILE`: the child of `IsolatedHDF5Read` (hidden). Reads
/// the file the way the parent will and exits 0 whatever the outcome (errors
/// are the parent's to report), unless the reading crashes.
struct ProbeKerasFile: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "__probe-keras", shouldDisplay: false)

    @Argument var file: String
    @Option var config: String?
    @Flag var listOnly = false

    func run() {
        // Exactly the read the parent will do next (`ModelLoader.weights` or `.load`), no more.
        let url = URL(fileURLWithPath: file)
        if listOnly {
            _ = try? MemoryBudget.limited(forFile: url) { try KerasImporter.listWeights(url: url) }
        } else {
            _ = try? MemoryBudget.limited(forFile: url) {
                try KerasImporter.load(url: url, config: config.map { URL(fileURLWithPath: $0) })
            }
        }
    }
}
