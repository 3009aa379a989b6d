import Foundation

extension ModelSummary {
    /// The `model.summary()`-like table with totals, head and cut point.
    func table() -> String {
        var out: [String] = []
        out.append("Model: \(name)  (\(format)\(producer.isEmpty ? "" : ", " + producer))")
        for v in inputs { out.append("Input:  \(v.name)  \(v.dtype)\(v.shape)") }
        for v in outputs { out.append("Output: \(v.name)  \(v.dtype)\(v.shape)") }
        out.append("")
        var t = TextTable(headers: ["Name", "Op", "Output shape", "Params", "Trainable"], rightAligned: [3])
        t.rows = rows.map { [$0.name, $0.op, $0.outputShape, $0.parameters.grouped, $0.trainable] }
        out.append(t.render())
        out.append("")
        let mib = String(format: "%.2f", Double(totals.parameterBytes) / 1_048_576)
        out.append("Total parameters: \(totals.parameters.grouped) (\(mib) MiB)")
        out.append("  trainable: \(totals.trainable.grouped)   non-trainable: \(totals.nonTrainable.grouped)"
                   + "   of which BatchNorm moving statistics: \(totals.statistics.grouped)")
        let ops = totals.ops.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        out.append("Nodes: \(totals.nodes) (\(ops))")
        if let p = preprocessing {
            let norm = zip(p.mean, p.std).map { "(x-\(trim($0)))/\(trim($1))" }
            let same = Set(norm).count == 1 ? norm[0] : norm.joined(separator: " ")
            out.append("Preprocessing: \(p.size.map(String.init).joined(separator: "x")) \(p.channelOrder.rawValue), \(same)"
                       + "  (from \(preprocessingSource ?? "the model file"))" + (classNames > 0 ? "; \(classNames) class names" : ""))
        }
        out.append("")
        if let head {
            let layers = head.dense.map { "\($0.node) (\($0.inputFeatures) -> \($0.outputFeatures))" }.joined(separator: ", ")
            let activation = head.activation == "none" ? "logits, no activation" : head.activation
            out.append("Head: \(layers); \(head.classes) classes, \(activation)")
            out.append("  reads \(head.cutValue) \(head.featureShape)"
                       + (head.pooling.map { " after global pooling \($0)" } ?? ""))
            if let cut = suggestedCut {
                out.append("Suggested cut: graft cut \(file) --at '\(cut)'  (keeps the features \(head.featureShape))")
            }
        } else {
            out.append("Head: none found (the graph does not end in a dense layer after global pooling)")
        }
        return out.joined(separator: "\n")
    }

    private func trim(_ v: Float) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
