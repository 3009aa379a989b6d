import Foundation

/// Ends the process with one clear error line when a read runs past its time.
///
/// The child probe (`IsolatedHDF5Read`) catches a file that hangs libhdf5, but
/// the parent reads the file again in process, and a file Graft has just written
/// is read only in process. No Swift code can interrupt libhdf5 mid-call, so a
/// watchdog thread prints the error and exits instead: a hang becomes exit 1,
/// never a process that has to be killed.
enum ReadWatchdog {
    static func limit<T>(_ url: URL, seconds: TimeInterval = IsolatedHDF5Read.timeout, _ body: () throws -> T) rethrows -> T {
        let finished = DispatchSemaphore(value: 0)
        let line = "graft: error: \(IsolatedHDF5Read.timedOut(url.path, after: seconds))\n"
        let watchdog = Thread {
            if finished.wait(timeout: .now() + seconds) == .timedOut {
                FileHandle.standardError.write(Data(line.utf8))
                _exit(1)
            }
        }
        watchdog.start()
        defer { finished.signal() }
        return try body()
    }
}
