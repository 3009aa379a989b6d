import ArgumentParser
import GraphIR
import Surgery

struct FreezeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freeze",
        abstract: "Choose which weights stay trainable.",
        discussion: """
            Give exactly one selection. Each sets every weight's flag (it does not add to earlier \
            freezing). Blocks are Keras `block_<n>_` layers or the spans between residual adds; \
            the nodes before the first block are the stem, those after the last block belong to \
            it, and the head is always trained by --train-last-blocks (see Docs/cli-surgery.md).
            """)

    @Argument(help: "The model file.")
    var model: String

    @Option(help: "Freeze every weight up to and including this node, value or layer; train the rest.")
    var before: String?

    @Option(help: "Freeze the weights whose names match this glob (* and ?); train the rest.")
    var pattern: String?

    @Option(help: "Train the last K blocks and the head; freeze the rest (0: only the head).")
    var trainLastBlocks: Int?

    @Flag(help: "Freeze every weight.")
    var all = false

    @Flag(help: "Train every weight.")
    var none = false

    @Option(name: .shortAndLong, help: "Where to write the model (.onnx or Keras .h5).")
    var output: String

    @Flag(help: "Skip reading the written file back and comparing outputs.")
    var noVerify = false

    func run() throws {
        let choices: [FreezeSelection?] = [before.map { .before($0) }, pattern.map { .pattern($0) },
                                           trainLastBlocks.map { .trainLastBlocks($0) }, all ? .all : nil, none ? FreezeSelection.none : nil]
        let given = choices.compactMap { $0 }
        guard given.count == 1, let selection = given.first else {
            throw CLIError.invalidOption("give exactly one of --before, --pattern, --train-last-blocks, --all, --none")
        }
        var graph = try ModelLoader.load(model)
        let report = try Freeze(selection).apply(to: &graph)
        if case .trainLastBlocks(let k) = selection {
            let blocks = BlockFinder.blocks(in: graph)
            let trained = blocks.filter { $0.name != "head" && $0.name != "stem" }.suffix(max(k, 0)).map(\.name)
                + blocks.filter { $0.name == "head" }.map(\.name)
            print("Training blocks: " + (trained.isEmpty ? "none" : trained.joined(separator: ", ")))
        }
        print("Trainable: \(report.trainableParameters.grouped) parameters in \(report.trainableWeights) weights; "
              + "frozen: \(report.frozenParameters.grouped) parameters in \(report.frozenWeights) weights")
        try VerifiedWrite.write(graph, to: output, expected: graph, verify: !noVerify)
    }
}
