import ArgumentParser
import GraphIR

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert between ONNX and Keras .h5, checking the result computes the same.",
        discussion: """
            The formats come from the extensions. The written file is read back and run against \
            the original on Graft's runtime; the largest difference is printed, and when it is \
            too large the first node whose output differs is named and the file removed.
            """)

    @Argument(help: "The model to convert.")
    var input: String

    @Argument(help: "The file to write (.onnx or Keras .h5).")
    var output: String

    @Flag(help: "Skip reading the written file back and comparing outputs.")
    var noVerify = false

    func run() throws {
        let graph = try ModelLoader.load(input)
        try VerifiedWrite.write(graph, to: output, expected: graph, verify: !noVerify)
    }
}
