// Times Graft's CPU runtime on one ONNX model.
//
//   InferenceBenchmark <model.onnx> [--batches 1,32] [--seconds 3] [--threads T] [--profile] [--steps [--repeats 5]] [--summary]
//
// Prints one JSON object per batch size: images/s, median latency per call,
// process peak RSS so far, plan buffer bytes, and (with --profile) seconds
// per op family. The input is the deterministic formula the parity tests
// use: x[i] = sin(0.37 * i) * 1.5 over the flat index.
import Foundation
import GraphIR
import KerasFormat
import Surgery
import ONNXFormat
import Runtime
import TensorCore

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

/// User + system CPU seconds of the process so far (all threads).
func cpuSeconds() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

var args = Array(CommandLine.arguments.dropFirst())
guard let modelPath = args.first else {
    FileHandle.standardError.write("usage: InferenceBenchmark <model.onnx> [--batches 1,32] [--seconds 3] [--threads T] [--profile] [--steps [--repeats 5]] [--summary]\n".data(using: .utf8)!)
    exit(2)
}
var batches = [1, 32]
var seconds = 3.0
var profile = false
var summary = false
var steps = false
var repeats = 5
var i = 1
while i < args.count {
    switch args[i] {
    case "--batches": batches = args[i + 1].split(separator: ",").map { Int($0)! }; i += 1
    case "--seconds": seconds = Double(args[i + 1])!; i += 1
    case "--profile": profile = true
    case "--summary": summary = true
    case "--steps": steps = true
    case "--repeats": repeats = Int(args[i + 1])!; i += 1
    case "--threads": RuntimeConfiguration.threads = Int(args[i + 1])!; i += 1
    default: break
    }
    i += 1
}

let loadStart = now()
let modelURL = URL(fileURLWithPath: modelPath)
/// What `graft bench` and `graft predict` run: the simplified graph (outputs unchanged, checked by
/// the tests). The imported graph is not kept (as in `graft bench`): its weights would count in the peak RSS.
func simplifiedModel() throws -> Graph {
    let imported = modelPath.hasSuffix(".onnx") ? try ONNXImporter.load(url: modelURL) : try KerasImporter.load(url: modelURL)
    return try Simplifier.simplify(imported).0
}
let graph = try simplifiedModel()
let plan = try Planner.compile(graph)
let loadSeconds = now() - loadStart

if summary {
    print(try plan.summary(batch: batches[0]))
    exit(0)
}
for batch in batches {
    let input = graph.inputs[0]
    let shape = input.type.shape.dims.enumerated().map { $1.value ?? (($0 == 0) ? batch : 1) }
    let count = shape.reduce(1, *)
    let x = Tensor(shape: shape, scalars: (0..<count).map { Float(sin(0.37 * Double($0)) * 1.5) })
    let feeds = [input.name: x]
    _ = try plan.run(feeds)  // compile for this batch + warm up
    var latencies: [Double] = []
    let cpuStart = cpuSeconds()
    let start = now()
    while now() - start < seconds || latencies.count < 3 {
        let t0 = now()
        _ = try plan.run(feeds)
        latencies.append(now() - t0)
    }
    let cpuPerImage = (cpuSeconds() - cpuStart) / Double(latencies.count * batch)
    latencies.sort()
    let median = latencies[latencies.count / 2]
    var record: [String: Any] = [
        "engine": "graft", "model": URL(fileURLWithPath: modelPath).lastPathComponent, "batch": batch,
        "images_per_s": Double(batch) / median, "latency_ms": median * 1000, "calls": latencies.count,
        "peak_rss_mib": peakRSSMiB(), "plan_buffer_mib": Double(try plan.peakBytes(batch: batch)) / 1048576,
        "load_and_compile_s": loadSeconds,
        // CPU time per image over all calls: less sensitive than wall time to other processes.
        "cpu_ms_per_image": cpuPerImage * 1000,
    ]
    if let cut = try plan.stageCut(batch: batch) { record["stage_cut"] = cut }
    if profile {
        let times = try plan.profile(feeds, repeats: 3)
        record["profile_ms"] = times.mapValues { ($0 * 1000 * 100).rounded() / 100 }
        record["steps"] = try plan.stepCounts(batch: batch)
    }
    if steps {
        // One line per kernel call: fastest of `repeats` runs, GMAC/s where multiply-adds are counted.
        for s in try plan.stepProfile(feeds, repeats: repeats) {
            let rate = s.macs > 0 ? String(format: "%6.1f GMAC/s", Double(s.macs) / s.seconds / 1e9) : ""
            print(String(format: "%8.3f ms %@ %@ %@", s.seconds * 1000, s.kind.padding(toLength: 11, withPad: " ", startingAt: 0),
                         rate.padding(toLength: 14, withPad: " ", startingAt: 0), s.node))
        }
    }
    let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
}
