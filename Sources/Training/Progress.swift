import Foundation

/// A progress line: a redrawn bar on stderr when it is a terminal, else a plain
/// line on stdout every tenth of the work (logs stay readable, and stderr keeps
/// only warnings and errors).
public final class ProgressLine: @unchecked Sendable {
    let label: String
    let total: Int
    let isTerminal: Bool
    let start = Date()
    var lastTenth = -1

    public init(_ label: String, total: Int, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.total = max(total, 1)
        self.isTerminal = isTerminal
    }

    public func update(_ done: Int) {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        if isTerminal {
            let width = 30, filled = width * done / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\(label) \(bar) \(done)/\(total)  \(String(format: "%.1f", rate)) img/s", to: .standardError)
            if done >= total { write("\n", to: .standardError) }
        } else {
            let tenth = 10 * done / total
            if tenth != lastTenth {
                lastTenth = tenth
                write("\(label): \(done)/\(total) (\(String(format: "%.1f", rate)) img/s)\n", to: .standardOutput)
            }
        }
    }

    private func write(_ s: String, to handle: FileHandle) {
        if handle === FileHandle.standardOutput {
            print(s, terminator: "")
            fflush(nil)
        } else {
            handle.write(Data(s.utf8))
        }
    }
}
