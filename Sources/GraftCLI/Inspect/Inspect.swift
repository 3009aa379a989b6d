import ArgumentParser
import Foundation
import GraphIR

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a model holds: layers, shapes, parameters, the classification head and where to cut it.",
        discussion: """
            Reads ONNX (.onnx) and Keras (.h5, .keras, .weights.h5 with --config) files. \
            --json prints the same as one JSON object (see Docs/cli-inspect.md). \
            --weights lists the stored weight tensors without building the graph, \
            which also works for files whose architecture Graft cannot rebuild.
            """)

    @Argument(help: "The model file.")
    var model: String

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "List the stored weight tensors instead of the layers.")
    var weights = false

    @Option(help: "The architecture (config.json) for a .weights.h5 file.")
    var config: String?

    func run() throws {
        if weights {
            let entries = try ModelLoader.weights(model)
            print(json ? try WeightListing.json(entries, file: model) : WeightListing.table(entries, file: model))
            return
        }
        let graph = try ModelLoader.load(model, config: config)
        let summary = ModelSummary(graph: graph, file: model)
        print(json ? try summary.json() : summary.table())
    }
}
