import ArgumentParser
import Foundation

@main
struct Graft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graft",
        abstract: "Transfer learning by model surgery: import, cut, graft, train, export.",
        subcommands: [Inspect.self, Predict.self, Train.self, Eval.self, Simplify.self, Bench.self,
                      Cut.self, Attach.self, FreezeCommand.self, Convert.self, LoadWeightsCommand.self,
                      ProbeKerasFile.self])

    /// Parses with ArgumentParser's own messages; any error while running
    /// becomes one line on stderr and exit status 1.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            // Help requests, usage errors and exit codes keep ArgumentParser's own handling.
            if error is ExitCode || error is CleanExit || error is ValidationError
                || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data("graft: error: \(oneLine(String(describing: error)))\n".utf8))
            Foundation.exit(1)
        }
    }

    /// A multi-line message as the one line every error gets: "cannot rebuild 2 layers:\n  - a\n  - b\nUse c"
    /// becomes "cannot rebuild 2 layers: a; b; Use c".
    static func oneLine(_ message: String) -> String {
        var line = ""
        for piece in message.split(separator: "\n") {
            var text = piece.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("- ") { text.removeFirst(2) }
            guard !text.isEmpty else { continue }
            if !line.isEmpty { line += line.hasSuffix(":") ? " " : "; " }
            line += text
        }
        return line
    }
}
