import ArgumentParser
import Foundation
import GraphIR
import ImageData
import Surgery
import Training

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Accuracy, per-class precision/recall/F1, confusion matrix (and ROC-AUC for two classes) on an image folder.",
        discussion: """
            DATA_DIR holds one subfolder per class (all images are evaluated) or train/ + val/ \
            (val/ is evaluated). Folder names are matched to the model's class names; a binary \
            model's decision threshold (graft.threshold) is used.
            """)

    @Argument(help: "The classifier (.onnx, Keras .h5/.keras).") var model: String
    @Argument(help: "The image folder.") var data: String
    @Flag(help: "Print JSON instead of text.") var json = false
    @Option(help: "Preprocessing preset or keys (when the model file and catalog have none).") var preprocess: String?
    @Flag(help: "Stop at the first unreadable image instead of skipping it.") var strict = false
    @Flag(help: "Run the whole model on every image without reading or writing the feature cache.") var noCache = false
    @Option(help: "Folder of the feature cache (default $GRAFT_CACHE/features, else .cache/graft/features).") var cacheDir: String?
    @Option(help: "Refuse images larger than this many pixels (decompression bombs).") var maxPixels = ImageDecoder.defaultMaxPixels

    func run() throws {
        let graph = try ModelLoader.load(model)
        let input = try ModelInput(graph: graph, option: preprocess)
        let folder = try ImageFolder(scanning: URL(fileURLWithPath: data))
        let images = folder.validation ?? folder.images
        let modelClasses = graph.metadata.classNames ?? ModelCatalog.entry(for: graph)?.classNames
        // Folder class → model output index: by name when the model has names for all, else by sorted position.
        let mapping: [Int]
        if let names = modelClasses, folder.classNames.allSatisfy(names.contains) {
            mapping = folder.classNames.map { names.firstIndex(of: $0)! }
        } else {
            mapping = Array(folder.classNames.indices)
        }
        let classNames = modelClasses ?? folder.classNames
        let start = Date()
        // Backbone features through the cache (shared with graft train), then the head alone; else the whole model.
        var p: [[Double]?]
        let cacheDirectory = cacheDir.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory
        if !noCache, let cached = try CachedClassifierRun.run(graph, input: input, urls: images.map(\.url),
                                                               cacheDirectory: cacheDirectory, progress: json ? nil : "eval",
                                                               decoder: ImageDecoder(maxPixels: maxPixels)) {
            p = cached.rows
            if !json { print("Features: \(cached.fromCache) from the cache, \(cached.computed) computed") }
        } else {
            p = try ExportedHeadCheck.rows(graph, input: input, urls: images.map(\.url), progress: json ? nil : "eval",
                                           decoder: ImageDecoder(maxPixels: maxPixels))
        }
        // An unreadable image stops --strict here, before the output count (unknown without any row) is checked.
        if let bad = zip(p, images).first(where: { $0.0 == nil }), strict || p.allSatisfy({ $0 == nil }) {
            throw TrainingError.unreadableImage(path: bad.1.url.path, reason: "cannot be decoded")
        }
        let k = p.lazy.compactMap { $0?.count }.first ?? 0
        guard k >= 2, k >= (mapping.max() ?? 0) + 1 else {
            throw CLIError.invalidOption("the model has \(k) output(s); the data has \(folder.classNames.count) classes")
        }
        var rows: [Double] = [], labels: [Int] = [], skipped: [String] = []
        for (row, image) in zip(p, images) {
            guard let row else { skipped.append(image.url.path); continue }
            rows += row
            labels.append(mapping[image.label])
        }
        if !skipped.isEmpty {
            if strict { throw TrainingError.unreadableImage(path: skipped[0], reason: "cannot be decoded") }
            for s in skipped { FileHandle.standardError.write(Data("graft: skipped \(s)\n".utf8)) }
        }
        let names = classNames.count == k ? classNames : (0..<k).map { "class_\($0)" }
        let threshold = k == 2 ? graph.metadata.properties[HeadMetadataKeys.threshold].flatMap(Double.init) ?? 0.5 : nil
        let metrics = Metrics.compute(probabilities: rows, labels: labels, classNames: names, threshold: threshold)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try encoder.encode(metrics), as: UTF8.self))
        } else {
            print(MetricsText.render(metrics, title: "\(data): \(labels.count) images"))
            print(String(format: "(%.2f s)", Date().timeIntervalSince(start)))
        }
    }
}
