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
            let line = String(describing: error).split(separator: "\n").joined(separator: "; ")
            FileHandle.standardError.write(Data("graft: error: \(line)\n".utf8))
            Foundation.exit(1)
        }
    }
}
