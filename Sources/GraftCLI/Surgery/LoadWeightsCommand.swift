import ArgumentParser
import GraphIR
import Surgery

struct LoadWeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-weights",
        abstract: "Copy weights by name from another model file into a model.",
        discussion: """
            The source is any file Graft reads (.onnx, .h5, .keras, or .weights.h5 with \
            --config). Weights are matched by name and must have the same shape; the command \
            prints which matched, which the model kept, and which the source had in excess \
            (never a silent partial load: --strict makes any unmatched weight an error).
            """)

    @Argument(help: "The model to load into.")
    var model: String

    @Argument(help: "The file with the weights.")
    var weights: String

    @Option(help: "The architecture (config.json) when the weights file is a .weights.h5.")
    var config: String?

    @Flag(help: "Fail unless every weight of the model is found in the weights file.")
    var strict = false

    @Option(name: .shortAndLong, help: "Where to write the model (.onnx or Keras .h5).")
    var output: String

    @Flag(help: "Skip reading the written file back and comparing outputs.")
    var noVerify = false

    func run() throws {
        var graph = try ModelLoader.load(model)
        let source = try ModelLoader.load(weights, config: config)
        let report = try LoadWeights().apply(from: source, to: &graph)
        print("Loaded \(report.matched.count) weights by name from \(weights)")
        func list(_ names: [String]) -> String {
            names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", … (\(names.count) in all)" : "")
        }
        if !report.missingInSource.isEmpty {
            print("Kept their values (not in the weights file): \(list(report.missingInSource))")
        }
        if !report.unusedFromSource.isEmpty {
            print("Ignored (not in the model): \(list(report.unusedFromSource))")
        }
        if strict && !report.missingInSource.isEmpty {
            throw CLIError.invalidOption("--strict: \(report.missingInSource.count) weights of the model are not in \(weights)")
        }
        try VerifiedWrite.write(graph, to: output, expected: graph, verify: !noVerify)
    }
}
