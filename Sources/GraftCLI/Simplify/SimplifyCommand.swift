import ArgumentParser
import GraphIR
import Surgery

struct Simplify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fold constants and fuse layers; the outputs stay the same.",
        discussion: """
            Folds shape subgraphs and constants, removes identities and dead nodes, cancels \
            transposes, folds pads into convolutions and pools, and BatchNorm (also decomposed \
            into Sub/Mul/Add) into the preceding convolution. Prints node counts before and \
            after, then checks the simplified model against the original on Graft's runtime.
            """)

    @Argument(help: "The model file.")
    var model: String

    @Option(name: .shortAndLong, help: "Where to write the simplified model (.onnx or Keras .h5).")
    var output: String

    @Flag(help: "Skip running both models to compare their outputs.")
    var noVerify = false

    func run() throws {
        let graph = try ModelLoader.load(model)
        let (simplified, report) = try Simplifier.simplify(graph)
        print(report)
        if !noVerify {
            let check = try OutputCheck.compare(graph, simplified)
            print("Check: \(check.summary)")
            guard check.isClose else { throw CLIError.verificationFailed(check.summary) }
        }
        try ModelWriter.write(simplified, to: output)
        print("Wrote \(output)")
    }
}
