import Foundation
import GraphIR
import ImageData
import KerasFormat
import ONNXFormat
import Runtime
import Surgery
import TensorCore

/// libFuzzer entry points for Graft's readers (issue #7). This target is a
/// plain library in `swift build`; `scripts/fuzz.sh` rebuilds it with
/// `-sanitize=fuzzer,address` and links it against libFuzzer's `main`.
///
/// One binary serves every target; `GRAFT_FUZZ_TARGET` picks the reader:
///
///     onnx       ONNXReader.read(bytes:) + ONNXImporter.makeGraph
///     onnx-graph what `graft` does next with a model that reads: sort, verify, infer
///                shapes, simplify, plan, and run it when its inputs are small floats
///     keras-h5   KerasImporter.load on the bytes as an .h5 file (libhdf5 reads files by name)
///     keras-zip  KerasImporter.load on the bytes as a .keras zip
///     jpeg, png  ImageDecoder.decode (pixel limit 4 Mpx, so one input cannot take seconds)
///
/// A thrown error is the expected outcome for a bad input; only a crash,
/// a sanitizer report, a timeout or an out-of-memory is a finding.
enum FuzzTarget: String {
    case onnx, onnxGraph = "onnx-graph", kerasH5 = "keras-h5", kerasZip = "keras-zip", jpeg, png

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["GRAFT_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("GRAFT_FUZZ_TARGET must be onnx, onnx-graph, keras-h5, keras-zip, jpeg or png (is \"\(name)\")\n".utf8))
            exit(2)
        }
        return target
    }()

    /// A file per process for the readers that need a path (in /dev/shm when it exists).
    static let scratch: URL = {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return URL(fileURLWithPath: folder).appendingPathComponent("graft-fuzz-\(getpid())")
    }()

    func run(_ data: Data) {
        switch self {
        case .onnx:
            if let model = try? ONNXReader.read(bytes: data, name: "fuzz.onnx") {
                _ = try? ONNXImporter.makeGraph(from: model)
            }
        case .onnxGraph:
            guard let model = try? ONNXReader.read(bytes: data, name: "fuzz.onnx"),
                  let graph = try? ONNXImporter.makeGraph(from: model) else { return }
            Self.plan(graph)
        case .kerasH5, .kerasZip:
            let url = Self.scratch.appendingPathExtension(self == .kerasH5 ? "h5" : "keras")
            guard (try? data.write(to: url)) != nil else { return }
            defer { try? FileManager.default.removeItem(at: url) }
            _ = try? KerasImporter.load(url: url)
            _ = try? KerasImporter.listWeights(url: url)
        case .jpeg, .png:
            _ = try? ImageDecoder(maxPixels: 4_000_000).decode(data, name: "fuzz.\(rawValue)")
        }
    }

    /// The steps of `ModelLoader.load` (GraftCLI, an executable this target cannot import),
    /// `graft simplify` and `graft bench` after the reader. A graph is run only when every
    /// input is a float tensor of at most `maxRunElements` (unknown dimensions taken as 1), so
    /// that one input cannot take seconds: its weights come from at most `-max_len` bytes,
    /// which bounds the work per output element.
    static func plan(_ graph: Graph) {
        var graph = graph
        guard (try? graph.sortTopologically()) != nil, (try? GraphVerifier.verify(graph)) != nil,
              (try? ShapeInference.infer(&graph)) != nil, (try? ActivationLimit.checkInputs(of: graph)) != nil else { return }
        let simplified = (try? Simplifier.simplify(graph).0) ?? graph
        var inputs: [String: Tensor] = [:]
        for input in simplified.inputs {
            guard input.type.dtype.isFloatingPoint else { return }
            let shape = input.type.shape.dims.map { $0.value ?? 1 }
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, { $0 * min($1, maxRunElements + 1) }) <= maxRunElements else { return }
            let count = shape.reduce(1, *)
            inputs[input.name] = Tensor(shape: shape, scalars: (0..<count).map { Float(($0 * 7919) % 31) / 8 - 2 })
        }
        guard let plan = try? Planner.compile(simplified) else { return }
        _ = try? plan.run(inputs)
    }

    static let maxRunElements = 1 << 16
}

@_cdecl("LLVMFuzzerTestOneInput")
public func graftFuzzTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    FuzzTarget.selected.run(data)
    return 0
}
