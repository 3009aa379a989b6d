import ArgumentParser
import Foundation
import GraphIR
import ImageData
import Runtime
import Surgery
import TensorCore

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify images with a model, using the model's own preprocessing.",
        discussion: """
            Preprocessing comes from the model file, else from Graft's catalog of known \
            models, else from --preprocess. Logits are turned into probabilities with a \
            softmax (or a sigmoid for one output unit).
            """)

    @Argument(help: "The model file.")
    var model: String

    @Argument(help: "JPEG or PNG images.")
    var images: [String]

    @Option(help: "How many classes to show per image.")
    var top = 5

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "A preset (efficientnet-lite, keras-mobilenet-v2, open-nsfw, torchvision-imagenet, unit-scale) or keys like size=224,mean=127,std=128,order=rgb.")
    var preprocess: String?

    @Option(help: "Refuse images larger than this many pixels (decompression bombs).")
    var maxPixels = ImageDecoder.defaultMaxPixels

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let graph = try ModelLoader.load(model)
        let input = try ModelInput(graph: graph, option: preprocess)
        var decoder = ImageDecoder()
        decoder.maxPixels = maxPixels
        // Simplified for speed; the tests check simplification never changes outputs. Planned
        // before any image is resized to the input's size: the plan's checks come first.
        let plan = try Planner.compile(try SimplifyStep.run(graph))
        let preprocessor = try ImagePreprocessor(input.preprocessing, decoder: decoder)
        let batch = try preprocessor.tensor(forFilesAt: images.map { URL(fileURLWithPath: $0) })
        guard let outputName = graph.outputs.first,
              let output = try plan.run([input.name: input.feed(batch)])[outputName] else {
            throw CLIError.notAnImageModel(reason: "it has no output")
        }
        let activation = HeadDetector.detect(in: graph)?.activation ?? "none"
        let names = graph.metadata.classNames ?? ModelCatalog.entry(for: graph)?.classNames
        let results = Prediction.rank(output, activation: activation, classNames: names, top: top)
        // A binary head with a stored threshold decides by it: class 1 when p(class 1) ≥ threshold.
        var decisions: [Decision]? = nil
        if let threshold = graph.metadata.properties[HeadMetadataKeys.threshold].flatMap(Float.init),
           output.elementCount == 2 * images.count || output.elementCount == images.count {
            let all = Prediction.rank(output, activation: activation, classNames: names, top: 2)
            decisions = all.map { ranked in
                let p1 = ranked.first { $0.classIndex == 1 }?.probability ?? 0
                let c = p1 >= threshold ? 1 : 0
                return Decision(classIndex: c, label: names.flatMap { c < $0.count ? $0[c] : nil }, threshold: threshold)
            }
        }
        if json {
            print(try Prediction.json(images: images, results: results, decisions: decisions))
        } else {
            for (i, (image, ranked)) in zip(images, results).enumerated() {
                print(image)
                for p in ranked {
                    print(String(format: "  %6.2f%%  %4d  %@", p.probability * 100, p.classIndex, p.label ?? ""))
                }
                if let d = decisions?[i] {
                    print("  decision: \(d.label ?? String(d.classIndex)) (threshold \(d.threshold) on class 1)")
                }
            }
        }
    }
}

/// The class a binary model with a decision threshold picks for one image.
struct Decision: Encodable {
    var classIndex: Int
    var label: String?
    var threshold: Float
}

/// One ranked class of one image.
struct Prediction: Encodable {
    var classIndex: Int
    var label: String?
    var probability: Float

    /// Top-`top` classes per row of `output` (`[N, classes]`), as probabilities.
    static func rank(_ output: Tensor, activation: String, classNames: [String]?, top: Int) -> [[Prediction]] {
        let rows = output.shape.first ?? 1
        let classes = output.elementCount / max(rows, 1)
        let values = output.scalars
        return (0..<rows).map { r in
            var p = Array(values[r * classes..<(r + 1) * classes])
            switch activation {
            case "softmax", "sigmoid": break
            default:
                if classes == 1 { p = [1 / (1 + exp(-p[0]))] } else {
                    let m = p.max() ?? 0
                    let e = p.map { exp($0 - m) }
                    let s = e.reduce(0, +)
                    p = e.map { $0 / s }
                }
            }
            // One sigmoid unit: show both classes.
            if classes == 1 { p = [1 - p[0], p[0]] }
            let order = p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }.prefix(top)
            return order.map { i in
                Prediction(classIndex: i, label: classNames.flatMap { i < $0.count ? $0[i] : nil }, probability: p[i])
            }
        }
    }

    static func json(images: [String], results: [[Prediction]], decisions: [Decision]? = nil) throws -> String {
        struct Entry: Encodable { var image: String; var predictions: [Prediction]; var decision: Decision? }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let entries = zip(images, results).enumerated().map { Entry(image: $1.0, predictions: $1.1, decision: decisions?[$0]) }
        return String(decoding: try encoder.encode(entries), as: UTF8.self)
    }
}
