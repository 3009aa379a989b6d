import ArgumentParser
import Foundation
import GraphIR
import Runtime
import TensorCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure inference speed: images per second, latency per batch, peak memory.",
        discussion: """
            Runs the model on a fixed pseudo-random batch: two warm-up runs, then \
            --iterations timed runs. Latency is per batch (median and 90th percentile); \
            throughput is batch size / median latency; peak memory is the process's \
            resident high-water mark. Benchmarks/inference.py runs onnxruntime beside it.
            """)

    @Argument(help: "The model file.")
    var model: String

    @Option(help: "Images per batch (default: 1, or the batch size the model's input fixes).")
    var batch: Int?

    @Option(help: "Threads to use (default: all cores).")
    var threads: Int?

    @Option(help: "Timed runs.")
    var iterations = 20

    @Flag(help: "Run the graph as imported, without simplifying it first (folding constants, BatchNorm and pads).")
    var noSimplify = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        if let threads { RuntimeConfiguration.threads = threads }
        var graph = try ModelLoader.load(model)
        if !noSimplify { graph = try SimplifyStep.run(graph) }
        let batch = try batchSize(of: graph)
        // Planned before the inputs exist: the plan's checks (folded constants, activations) come first.
        let plan = try Planner.compile(graph)
        var inputs: [String: Tensor] = [:]
        for input in graph.inputs {
            let shape = [batch] + input.type.shape.dims.dropFirst().map { $0.value ?? 1 }
            try ActivationLimit.check("input \(input.name)", shape: shape)
            let n = shape.reduce(1, *)
            inputs[input.name] = Tensor(shape: shape, scalars: (0..<n).map { Float(sin(0.37 * Double($0))) })
        }
        for _ in 0..<2 { _ = try plan.run(inputs) }
        var seconds: [Double] = []
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try plan.run(inputs)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        seconds.sort()
        let median = seconds[seconds.count / 2]
        let p90 = seconds[min(seconds.count - 1, Int((Double(seconds.count) * 0.9).rounded(.up)) - 1)]
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let result = BenchResult(model: model, batch: batch, threads: RuntimeConfiguration.threads,
                                 imagesPerSecond: Double(batch) / median, medianMs: median * 1e3, p90Ms: p90 * 1e3,
                                 peakRSSMiB: Double(usage.ru_maxrss) / 1024)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(String(format: "%@: batch %d, %d threads: %.1f images/s, latency median %.2f ms, p90 %.2f ms, peak memory %.0f MiB",
                         model, batch, result.threads, result.imagesPerSecond, result.medianMs, result.p90Ms, result.peakRSSMiB))
        }
    }

    /// `--batch`, or 1; a model whose input fixes its batch size runs at that size, and
    /// `--batch` may not ask for another.
    private func batchSize(of graph: Graph) throws -> Int {
        let fixed = graph.inputs.compactMap { input in input.type.shape.dims.first.flatMap(\.value).map { (input, $0) } }.first
        guard let (input, size) = fixed else { return batch ?? 1 }
        if let batch, batch != size {
            throw CLIError.invalidOption("\(model) takes batches of \(size) (its input \(input.name) is \(input.type)); "
                                         + "give --batch \(size) or leave --batch out")
        }
        return size
    }
}

struct BenchResult: Encodable {
    var model: String
    var batch: Int
    var threads: Int
    var imagesPerSecond: Double
    var medianMs: Double
    var p90Ms: Double
    var peakRSSMiB: Double
}
