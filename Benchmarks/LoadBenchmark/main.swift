// Loads model files into the IR repeatedly and prints one JSON line per file:
//   {"file": ..., "graft_ms": [...], "stage": "import+infer"}
// Usage: LoadBenchmark ITERATIONS FILE...
import Foundation
import GraphIR
import KerasFormat
import ONNXFormat

func load(_ path: String) throws -> Graph {
    let url = URL(fileURLWithPath: path)
    var graph = path.hasSuffix(".onnx") ? try ONNXImporter.load(url: url) : try KerasImporter.load(url: url)
    try graph.sortTopologically()
    try ShapeInference.infer(&graph)
    return graph
}

let arguments = CommandLine.arguments.dropFirst()
guard let iterations = arguments.first.flatMap(Int.init), arguments.count > 1 else {
    FileHandle.standardError.write(Data("usage: LoadBenchmark ITERATIONS FILE...\n".utf8))
    exit(2)
}
for path in arguments.dropFirst() {
    var times: [Double] = []
    var parameters = 0
    for _ in 0..<iterations {
        let start = DispatchTime.now().uptimeNanoseconds
        let graph = try load(path)
        // Touch every weight so lazily mapped pages count as read.
        var checksum: Float = 0
        for p in graph.parameters.values where p.tensor.dtype == .float32 {
            p.tensor.withUnsafeFloats { f in
                var i = 0
                while i < f.count { checksum += f[i]; i += 1024 }
            }
        }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        parameters = graph.parameters.values.filter(\.countsAsParameter).reduce(0) { $0 + $1.tensor.elementCount }
        if checksum.isNaN { print("nan") }
    }
    let line: [String: Any] = ["file": path, "graft_ms": times, "parameters": parameters]
    let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
