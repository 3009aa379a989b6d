import Foundation
import Training

/// Metrics as a few lines of text.
enum MetricsText {
    static func render(_ m: Metrics, title: String) -> String {
        var lines = [title + String(format: ": accuracy %.4f, macro F1 %.4f", m.accuracy, m.macroF1)]
        if let auc = m.rocAUC { lines[0] += String(format: ", ROC-AUC %.4f", auc) }
        if let t = m.threshold { lines[0] += String(format: ", threshold %.4g", t) }
        let width = max(10, (m.classes.map(\.name.count).max() ?? 0) + 2)
        func pad(_ s: String) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
        lines.append(pad("class") + "precision  recall     f1  support")
        for c in m.classes {
            lines.append(pad(c.name) + String(format: "%9.4f %7.4f %6.4f %8d", c.precision, c.recall, c.f1, c.support))
        }
        lines.append("confusion (rows: true, columns: predicted)")
        for (i, row) in m.confusion.enumerated() {
            lines.append(pad(m.classes[i].name) + row.map { String(format: "%6d", $0) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
