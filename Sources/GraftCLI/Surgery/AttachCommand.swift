import ArgumentParser
import GraphIR
import Surgery

struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach a new, trainable classification head to a feature extractor.",
        discussion: """
            The model must end in features [N, C]; a model that still has a head is cut first, \
            feature maps [N, C, H, W] get global average pooling. --binary is one sigmoid unit \
            (with --softmax a 2-way softmax), --classes N a softmax over N. Weights are \
            Glorot-uniform from --seed (same seed, same bits), biases zero.
            """)

    @Argument(help: "The model file.")
    var model: String

    @Flag(help: "A binary head: one sigmoid unit (or, with --softmax, a 2-way softmax).")
    var binary = false

    @Option(help: "A softmax head over N classes.")
    var classes: Int?

    @Flag(help: "With --binary: a 2-way softmax instead of one sigmoid unit.")
    var softmax = false

    @Option(help: "Units of an extra Dense + ReLU layer before the last Dense.")
    var hidden: Int?

    @Option(help: "Dropout ratio before the last Dense, in [0, 1).")
    var dropout: Float?

    @Option(help: "Class names, comma-separated, in output order (binary: negative,positive).")
    var labels: String?

    @Option(help: "Seed of the weight initialisation.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: "Where to write the model (.onnx or Keras .h5).")
    var output: String

    @Flag(help: "Skip reading the written file back and comparing outputs.")
    var noVerify = false

    func run() throws {
        let kind: HeadSpec.Kind
        switch (binary, classes) {
        case (true, nil): kind = .binary(softmax: softmax)
        case (false, let n?):
            guard !softmax else { throw CLIError.invalidOption("--softmax goes with --binary; a --classes head is always a softmax") }
            kind = .classes(n)
        default: throw CLIError.invalidOption("give exactly one of --binary and --classes N")
        }
        let names = labels.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) } }
        let spec = HeadSpec(kind: kind, hidden: hidden, dropout: dropout, labels: names, seed: seed)

        var graph = try ModelLoader.load(model)
        let report = try GraftHead(spec).apply(to: &graph)
        if let cut = report.cut { print("The model still had a head; cut it first.\n" + CutText.describe(cut)) }
        if report.pooled { print("Added global average pooling and flatten before the head.") }
        let added = report.parameters.compactMap { graph.parameters[$0] }.reduce(0) { $0 + $1.tensor.elementCount }
        print("Attached the head: \(describe(spec)); \(added.grouped) trainable parameters (\(report.parameters.joined(separator: ", ")))")
        print("Output: \(report.output) \(report.outputShape)")
        var classes = "Classes: " + (graph.metadata.classNames ?? []).joined(separator: ", ")
        if let t = graph.metadata.properties[HeadMetadataKeys.threshold] { classes += "; decision threshold \(t)" }
        print(classes)
        try VerifiedWrite.write(graph, to: output, expected: graph, verify: !noVerify)
    }

    private func describe(_ spec: HeadSpec) -> String {
        var parts: [String] = []
        if let h = spec.hidden { parts.append("dense \(h) + relu") }
        if let p = spec.dropout { parts.append("dropout \(p)") }
        switch spec.kind {
        case .binary(softmax: false): parts.append("dense 1 + sigmoid")
        case .binary(softmax: true): parts.append("dense 2 + softmax")
        case .classes(let n): parts.append("dense \(n) + softmax")
        }
        return parts.joined(separator: ", ")
    }
}
