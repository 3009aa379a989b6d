import Foundation
import GraphIR
import KerasFormat
import TensorCore
import TestSupport
import Testing

/// Imported fixture graphs, run by the naive reference evaluator on Keras' own
/// input, reproduce Keras' output: checks layouts (OIHW, depthwise, Dense
/// transpose, Flatten order), padding and activations end to end.
@Suite struct NumericTests {
    static let cases: [(file: String, stem: String)] = [
        ("functional_legacy.h5", "functional_legacy"), ("nested_legacy.h5", "nested"), ("nested.keras", "nested"),
        ("sequential.weights.h5", "sequential"), ("keras2_sequential.h5", "keras2_sequential"),
    ]

    @Test(arguments: cases.map(\.file))
    func importedGraphReproducesKerasOutput(_ file: String) throws {
        let stem = Self.cases.first { $0.file == file }!.stem
        let graph = try FixtureModelTests.load(file)
        let io = FixtureModelTests.folder.appendingPathComponent("io")
        let x = try readNPY(io.appendingPathComponent("\(stem).x.npy"))
        let expected = try readNPY(io.appendingPathComponent("\(stem).y.npy"))
        let nchw = WeightTranspose.permute(Tensor(shape: x.shape, scalars: x.data), [0, 3, 1, 2])
        let y = try ReferenceEvaluator.run(graph, input: .init(shape: nchw.shape, data: nchw.scalars))
        #expect(y.shape == expected.shape)
        let worst = zip(y.data, expected.data).map { abs($0 - $1) / (1e-4 + abs($1)) }.max() ?? 0
        #expect(worst < 1e-3, "\(file): worst relative difference \(worst); got \(y.data) expected \(expected.data)")
    }
}
