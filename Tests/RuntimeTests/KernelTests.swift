import Foundation
import Testing
import ONNXFormat
import Runtime
import TensorCore
import TestSupport

/// Every one-node case in `Fixtures/kernels` (made by its `generate.py` with onnxruntime).
let kernelCases: [String] = {
    let folder = Fixtures.repoFile("Tests/RuntimeTests/Fixtures/kernels")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return files.filter { $0.hasSuffix(".onnx") }.map { String($0.dropLast(5)) }.sorted()
}()

@Suite struct KernelTests {
    @Test func fixturesArePresent() {
        #expect(kernelCases.count >= 30)
    }

    /// The `direct_` cases must take the direct kernel, or their check above would test the GEMM path again.
    @Test(arguments: kernelCases.filter { $0.hasPrefix("direct_") })
    func fewChannelConvolutionsRunDirect(_ name: String) throws {
        let folder = Fixtures.repoFile("Tests/RuntimeTests/Fixtures/kernels")
        let graph = try ONNXImporter.load(url: folder.appendingPathComponent(name + ".onnx"))
        let batch = graph.inputs[0].type.shape.dims[0].value ?? 1
        #expect(try Planner.compile(graph).stepCounts(batch: batch)["conv_direct"] == 1, "\(name)")
    }

    @Test(arguments: kernelCases)
    func matchesOnnxruntime(_ name: String) throws {
        let folder = Fixtures.repoFile("Tests/RuntimeTests/Fixtures/kernels")
        let graph = try ONNXImporter.load(url: folder.appendingPathComponent(name + ".onnx"))
        let x = try NPYArray(contentsOf: folder.appendingPathComponent(name + ".x.npy"))
        let y = try NPYArray(contentsOf: folder.appendingPathComponent(name + ".y.npy"))
        let plan = try Planner.compile(graph)
        let out = try plan.run(["x": Tensor(shape: x.shape, scalars: x.scalars)])
        let actual = try #require(out["y"])
        #expect(actual.shape == y.shape, "\(name)")
        if let problem = mismatch(actual.scalars, y.scalars, .kernel) {
            Issue.record("\(name): \(problem)")
        }
    }
}
