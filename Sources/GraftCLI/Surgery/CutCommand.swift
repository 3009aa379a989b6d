import ArgumentParser
import GraphIR
import Surgery

struct Cut: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut a model after a node: keep the feature extractor, drop the rest.",
        discussion: """
            Without --at, cuts off the classification head that `graft inspect` shows, keeping \
            the pooled features [N, C]. --at takes a node name, a value name or a Keras layer \
            (name or path; its last node). Then reads the written file back and checks it \
            computes what the cut model does (see Docs/cli-surgery.md).
            """)

    @Argument(help: "The model file.")
    var model: String

    @Option(help: "The node, value or layer whose output becomes the model's output.")
    var at: String?

    @Option(name: .shortAndLong, help: "Where to write the cut model (.onnx or Keras .h5).")
    var output: String

    @Flag(help: "Skip reading the written file back and comparing outputs.")
    var noVerify = false

    func run() throws {
        var graph = try ModelLoader.load(model)
        let report = try CutGraph(at: at.map { .after($0) } ?? .head).apply(to: &graph)
        print(CutText.describe(report))
        try VerifiedWrite.write(graph, to: output, expected: graph, verify: !noVerify)
    }
}

/// The lines `cut` and `attach` print about a cut.
enum CutText {
    static func describe(_ report: CutReport) -> String {
        let removed = "\(report.removedParameters.grouped) parameters"
        let what: String
        if let head = report.head {
            let layers = head.dense.map { "\($0.node) (\($0.inputFeatures) -> \($0.outputFeatures))" }.joined(separator: ", ")
            what = "Removed the head: \(layers), \(removed)"
        } else {
            what = "Removed \(report.removedNodes.count) node\(report.removedNodes.count == 1 ? "" : "s"), \(removed)"
        }
        return what + "\nOutput: \(report.output) \(report.outputShape)"
    }
}
