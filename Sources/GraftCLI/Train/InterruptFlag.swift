#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C during head training: the handler only sets a flag, which the trainer
/// checks between mini-batches, so the batch in progress finishes and a checkpoint
/// can be written before the process exits with 130.
enum InterruptFlag {
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0

    static var isRaised: Bool { raised != 0 }

    /// Installs the SIGINT handler (until `uninstall`).
    static func install() {
        raised = 0
        signal(SIGINT) { _ in InterruptFlag.raised = 1 }
    }

    /// Back to the default: Ctrl-C ends the process.
    static func uninstall() {
        signal(SIGINT, SIG_DFL)
    }
}
