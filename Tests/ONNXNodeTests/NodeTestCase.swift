import Foundation
import GraphIR
import ONNXFormat
import Runtime
import TensorCore
import TestSupport

/// The ONNX backend node tests (`onnx/backend/test/data/node`) as Debian's
/// `libonnx-testdata` installs them, and the two lists that say which of them
/// Graft runs (`Formats/onnx/node-tests/ALLOWLIST`) and which fail for a
/// documented reason (`Formats/onnx/node-tests/EXCLUDED`).
enum NodeTests {
    /// `$GRAFT_ONNX_NODE_TESTS`, or where `libonnx-testdata` puts them.
    static var dataFolder: URL {
        if let path = ProcessInfo.processInfo.environment["GRAFT_ONNX_NODE_TESTS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: "/usr/share/libonnx-testdata/data/node")
    }

    static let missingDataHint = "install Debian's libonnx-testdata (scripts/setup-system.sh does) or point GRAFT_ONNX_NODE_TESTS at an onnx/backend/test/data/node folder"

    static let listFolder = Fixtures.repoFile("Formats/onnx/node-tests")
    static let allowlistURL = listFolder.appendingPathComponent("ALLOWLIST")
    static let excludedURL = listFolder.appendingPathComponent("EXCLUDED")

    /// Test folder names whose every node is an op Graft imports, one per line.
    static let allowlist: [String] = contentLines(of: allowlistURL)

    /// Test folder name → why it is expected to fail. Lines are `name: reason`.
    static let excluded: [String: String] = {
        var result: [String: String] = [:]
        for line in contentLines(of: excludedURL) {
            guard let colon = line.firstIndex(of: ":") else { result[line] = ""; continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            result[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return result
    }()

    /// Non-empty lines without `#` comments.
    static func contentLines(of url: URL) -> [String] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { line in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return content.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    /// Whether every node of the model at `url` is a default-domain op in Graft's importer table.
    /// Nil with the reason when the model cannot be decoded at all.
    static func opTypes(ofModelAt url: URL) throws -> (types: Set<String>, allSupported: Bool) {
        let model = try ONNXReader.read(url: url)
        var types: Set<String> = []
        var supported = true
        for node in model.graph.nodes {
            let isDefault = node.domain.isEmpty || node.domain == "ai.onnx"
            types.insert(isDefault ? node.opType : "\(node.domain).\(node.opType)")
            if !isDefault || !ONNXImporter.supportedOpTypes.contains(node.opType) { supported = false }
        }
        return (types, supported)
    }
}

/// What happened when one node test ran.
enum NodeTestOutcome: Equatable {
    /// Every data set's outputs match. `constantInputs`: some data set passed only
    /// with inputs 1… turned into initializers (see `runNodeTest`).
    case passed(constantInputs: Bool)
    /// The importer or the planner refused the model, or the run threw.
    case refused(String)
    /// It ran, and an output differs from the reference.
    case wrongOutput(String)

    var passed: Bool { if case .passed = self { true } else { false } }

    var message: String {
        switch self {
        case .passed(let constant): constant ? "passed (inputs 1… as initializers)" : "passed"
        case .refused(let why): "refused: \(why)"
        case .wrongOutput(let why): "wrong output: \(why)"
        }
    }
}

/// ONNX's runner compares with `assert_allclose(rtol=1e-3, atol=1e-7)` by default and
/// loosens atol per test; Graft computes in float32 throughout, so atol is 1e-4 everywhere.
let nodeTestTolerance = (atol: Float(1e-4), rtol: Float(1e-3))

/// One `test_data_set_N` folder: inputs in the model's input order (nil where the
/// test leaves an optional input out) and the reference outputs.
struct NodeTestDataSet {
    var name: String
    var inputs: [Tensor?]
    var outputs: [Tensor]
}

/// Imports `folder/model.onnx`, runs it on every `test_data_set_*` and compares each output.
///
/// The node tests feed everything as graph inputs, weights and axes included,
/// while Graft needs conv weights, Gemm's C, Clip bounds, pads, shapes, axes
/// and indices at import or plan time (as every exported model has them). So
/// when a data set is refused with its inputs fed at run time, it runs again
/// with inputs 1… made initializers holding the test's values; input 0 stays a
/// run-time input. A wrong output is never retried.
func runNodeTest(_ folder: URL) throws -> NodeTestOutcome {
    let model = try ONNXReader.read(url: folder.appendingPathComponent("model.onnx"))
    let initializers = Set(model.graph.initializers.map(\.name))
    let inputNames = model.graph.inputs.map(\.name).filter { !initializers.contains($0) }
    var asGiven: ExecutionPlan?
    var asGivenRefusal = ""
    do { asGiven = try Planner.compile(ONNXImporter.makeGraph(from: model)) } catch { asGivenRefusal = "\(error)" }

    let folders = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { $0.hasPrefix("test_data_set_") }.sorted()
    guard !folders.isEmpty else { throw NodeTestError("\(folder.path) has no test_data_set_* folder") }
    let dataSets: [NodeTestDataSet]
    do {
        dataSets = try folders.map { try readDataSet(folder.appendingPathComponent($0), inputCount: inputNames.count,
                                                     outputCount: model.graph.outputs.count) }
    } catch {
        // Test data Graft's tensor reader refuses (bfloat16, strings, sequences, optionals).
        return .refused((asGivenRefusal.isEmpty ? "" : asGivenRefusal + "; ") + "test data: \(error)")
    }
    var usedConstants = false
    for data in dataSets {
        if let plan = asGiven {
            let outcome = try evaluate(plan, model, inputNames, data)
            guard case .refused(let why) = outcome else {
                if outcome.passed { continue } else { return outcome }
            }
            asGivenRefusal = why
        }
        guard inputNames.count > 1 else { return .refused(asGivenRefusal) }
        var constant = model
        for (i, name) in inputNames.enumerated().dropFirst() {
            if let tensor = data.inputs[i] { constant.graph.initializers.append(ONNXTensor(name: name, tensor: tensor)) }
        }
        let plan: ExecutionPlan
        do { plan = try Planner.compile(ONNXImporter.makeGraph(from: constant)) } catch {
            return .refused("\(asGivenRefusal); with inputs 1… as initializers: \(error)")
        }
        let outcome = try evaluate(plan, constant, [inputNames[0]], data)
        if case .refused(let why) = outcome { return .refused("\(asGivenRefusal); with inputs 1… as initializers: \(why)") }
        guard outcome.passed else { return outcome }
        usedConstants = true
    }
    return .passed(constantInputs: usedConstants)
}

private func readDataSet(_ dir: URL, inputCount: Int, outputCount: Int) throws -> NodeTestDataSet {
    let inputs: [Tensor?] = try (0..<inputCount).map { i in
        let url = dir.appendingPathComponent("input_\(i).pb")
        return FileManager.default.fileExists(atPath: url.path) ? try ONNXReader.readTensor(url: url) : nil
    }
    let outputs = try (0..<outputCount).map { i in
        try ONNXReader.readTensor(url: dir.appendingPathComponent("output_\(i).pb"))
    }
    return NodeTestDataSet(name: dir.lastPathComponent, inputs: inputs, outputs: outputs)
}

/// Runs one data set, feeding the inputs named in `feed` (the data set's first ones).
private func evaluate(_ plan: ExecutionPlan, _ model: ONNXModelFile, _ feed: [String], _ data: NodeTestDataSet) throws -> NodeTestOutcome {
    var inputs: [String: Tensor] = [:]
    for (i, name) in feed.enumerated() { inputs[name] = data.inputs[i] }
    let results: [String: Tensor]
    do { results = try plan.run(inputs) } catch { return .refused("\(data.name): \(error)") }
    for (i, output) in model.graph.outputs.enumerated() {
        guard let actual = results[output.name] else { return .wrongOutput("\(data.name): no output \"\(output.name)\"") }
        if let difference = outputMismatch(actual, data.outputs[i]) {
            return .wrongOutput("\(data.name) output \(i) \"\(output.name)\": \(difference)")
        }
    }
    return .passed(constantInputs: false)
}

/// Shapes must be equal; integer and bool references are compared exactly,
/// float references within `nodeTestTolerance`. The element type itself is not
/// compared: the runtime computes floats in float32 whatever the file's type.
func outputMismatch(_ actual: Tensor, _ expected: Tensor) -> String? {
    guard actual.shape == expected.shape else {
        return "shape \(actual.shape), expected \(expected.shape)"
    }
    if expected.dtype.isFloatingPoint {
        return mismatch(actual.scalars, expected.scalars, atol: nodeTestTolerance.atol, rtol: nodeTestTolerance.rtol)
    }
    let reference = expected.int64s
    let values: [Double] = actual.dtype.isFloatingPoint ? actual.scalars.map(Double.init) : actual.int64s.map(Double.init)
    for i in reference.indices where values[i] != Double(reference[i]) {
        return "element \(i) is \(values[i]), expected exactly \(reference[i]) (\(expected.dtype))"
    }
    return nil
}

struct NodeTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
