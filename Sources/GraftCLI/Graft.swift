import ArgumentParser
import Foundation

@main
struct Graft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graft",
        abstract: "Transfer learning by model surgery: import, cut, graft, train, export.",
        subcommands: [Inspect.self, Predict.self, Simplify.self, Cut.self, Attach.self, FreezeCommand.self, Convert.self, Bench.self, Train.self, Eval.self])

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
        } catch let code as ExitCode {
            exit(withError: code)
        } catch where exitCode(for: error) == .success {
            // `--help` of a subcommand arrives here as a parser error: print the help.
            exit(withError: error)
        } catch {
            let line = String(describing: error).split(separator: "\n").joined(separator: "; ")
            FileHandle.standardError.write(Data("graft: error: \(line)\n".utf8))
            Foundation.exit(1)
        }
    }
}
