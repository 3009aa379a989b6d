import Foundation
import GraphIR
import Runtime
import ImageData
import Surgery
import TensorCore
import Training

/// Runs a classifier as backbone + head: the backbone (the model cut at its head's
/// cut value) through `FeatureExtractor` with the feature cache in front of it, then
/// only the head's nodes on the features. A second run over the same images under the
/// same backbone (a model trained by `graft train` shares its backbone's digest with the
/// model it was trained from) reads every feature from the cache.
enum CachedClassifierRun {
    struct Output {
        /// Class probabilities per image (as `ExportedHeadCheck.rows`), nil for an unreadable image.
        var rows: [[Double]?]
        var fromCache: Int
        var computed: Int
    }

    /// nil when the graph has no detectable head or its head does not run on its own
    /// (then run the whole graph instead).
    static func run(_ graph: Graph, input: ModelInput, urls: [URL], cacheDirectory: URL,
                    progress: String?, decoder: ImageDecoder = ImageDecoder()) throws -> Output? {
        guard let head = HeadDetector.detect(in: graph), let featureType = graph.type(of: head.cutValue),
              let headGraph = try? headOnly(graph, from: head.cutValue, type: featureType),
              let headPlan = try? Planner.compile(headGraph), let output = headGraph.outputs.first else { return nil }
        var backbone = graph
        guard (try? CutGraph(at: .head).apply(to: &backbone)) != nil else { return nil }
        let extractor = FeatureExtractor(backbone: backbone, inputName: input.name, preprocessing: input.preprocessing,
                                         channelsLast: input.channelsLast, decoder: decoder)
        let features = try extractor.extract(urls, cacheDirectory: cacheDirectory, progressLabel: progress)
        let good = features.features.compactMap { $0 }
        var rows = [[Double]?](repeating: nil, count: urls.count)
        if !good.isEmpty {
            let x = Tensor(shape: [good.count] + features.sampleShape, scalars: good.flatMap { $0 })
            guard let out = try headPlan.run([head.cutValue: x])[output], out.elementCount % good.count == 0 else { return nil }
            let k = out.elementCount / good.count
            let values = out.scalars
            var next = 0
            for i in urls.indices where features.features[i] != nil {
                rows[i] = ExportedHeadCheck.probabilities(fromOutput: Array(values[next * k..<(next + 1) * k]), activation: head.activation)
                next += 1
            }
        }
        return Output(rows: rows, fromCache: features.fromCache, computed: features.computed)
    }

    /// The graph from `value` (now its only input) to its outputs.
    static func headOnly(_ graph: Graph, from value: String, type: ValueType) throws -> Graph {
        var g = graph
        g.nodes.removeAll { $0.outputs.contains(value) }
        g.inputs = [GraphInput(name: value, type: type)]
        _ = try RemoveDeadNodes().run(on: &g)
        try g.sortTopologically()
        try ShapeInference.infer(&g)
        try GraphVerifier.verify(g)
        return g
    }
}
