import Foundation

/// What `graft train` writes next to the model as `OUT.report.json`.
public struct TrainingReport: Sendable, Codable {
    public var model: String
    public var data: String
    public var output: String
    public var classNames: [String]
    public var head: String
    public var options: TrainingOptions
    public var images: Int
    public var trainImages: Int
    public var validationImages: Int
    public var skippedImages: [String]
    /// The images of each part of the split (paths as found under DATA_DIR), so others can reproduce it.
    public var trainFiles: [String] = []
    public var validationFiles: [String] = []
    public var featureSeconds: Double
    public var featuresFromCache: Int
    /// With `--augment`: the training images' augmented views read from the cache, and computed.
    public var augmentedViewsFromCache: Int? = nil
    public var augmentedViewsComputed: Int? = nil
    public var trainSeconds: Double
    public var epochs: [EpochRecord]
    public var bestEpoch: Int
    public var stopReason: String?
    public var thresholdRule: String?
    public var threshold: Double?
    /// Metrics of the final head on the validation images (on the training images without a validation set).
    public var validation: Metrics
    public var train: Metrics
    /// Fine-tuning after the head, when asked for (`--fine-tune-blocks`, `--fine-tune-stages`).
    public var fineTune: FineTuneSummary? = nil

    public init(model: String, data: String, output: String, classNames: [String], head: String, options: TrainingOptions,
                images: Int, trainImages: Int, validationImages: Int, skippedImages: [String], featureSeconds: Double,
                featuresFromCache: Int, trainSeconds: Double, epochs: [EpochRecord], bestEpoch: Int, stopReason: String?,
                thresholdRule: String?, threshold: Double?, validation: Metrics, train: Metrics) {
        self.model = model; self.data = data; self.output = output; self.classNames = classNames; self.head = head
        self.options = options; self.images = images; self.trainImages = trainImages; self.validationImages = validationImages
        self.skippedImages = skippedImages; self.featureSeconds = featureSeconds; self.featuresFromCache = featuresFromCache
        self.trainSeconds = trainSeconds; self.epochs = epochs; self.bestEpoch = bestEpoch; self.stopReason = stopReason
        self.thresholdRule = thresholdRule; self.threshold = threshold; self.validation = validation; self.train = train
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}

/// The fine-tuning part of a report.
public struct FineTuneSummary: Sendable, Codable {
    public var options: FineTuneOptions
    public var stages: [FineTuneStageRecord]
    /// True when Ctrl-C ended fine-tuning (the best weights so far were exported).
    public var interrupted: Bool

    public init(options: FineTuneOptions, stages: [FineTuneStageRecord], interrupted: Bool) {
        self.options = options
        self.stages = stages
        self.interrupted = interrupted
    }
}

/// Hand-written SVG of a training report: loss and accuracy curves, the confusion
/// matrix, and for two classes the ROC curve. Opens in any browser.
public enum ReportSVG {
    public static func render(_ r: TrainingReport) -> String {
        let binary = r.validation.roc != nil
        let panels = binary ? 4 : 3
        let pw = 300.0, ph = 260.0, width = pw * Double(panels) + 20
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(ph + 60))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="18" font-size="14">\(escape("graft train: \(r.model) on \(r.data) — \(r.head); validation accuracy \(pct(r.validation.accuracy))"))</text>

        """
        // Fine-tuning epochs continue the head's curves; the dashed line marks where it began.
        let all = r.epochs + (r.fineTune?.stages.flatMap(\.epochs) ?? [])
        let epochs = all.indices.map { Double($0 + 1) }
        let marker = r.fineTune == nil ? Double(r.bestEpoch) : Double(r.epochs.count) + 0.5
        s += linePanel(x0: 10, y0: 40, w: pw - 20, h: ph, title: "loss", xs: epochs,
                       series: [("train", "#1f77b4", all.map(\.trainLoss)),
                                ("validation", "#d62728", all.compactMap(\.validationLoss))],
                       yRange: nil, marker: marker)
        s += linePanel(x0: 10 + pw, y0: 40, w: pw - 20, h: ph, title: "accuracy", xs: epochs,
                       series: [("train", "#1f77b4", all.map(\.trainAccuracy)),
                                ("validation", "#d62728", all.compactMap(\.validationAccuracy))],
                       yRange: nil, marker: marker)
        if let f = r.fineTune {
            let drift = f.stages.last?.epochs.last?.batchNormDrift
            let text = "fine-tuned after epoch \(r.epochs.count): " + f.stages.map { "\($0.blocks.count) block(s) × \($0.epochs.count) epochs" }
                .joined(separator: ", ") + ", BatchNorm \(f.options.batchNorm.rawValue)"
                + (drift.map { String(format: " — moving means drifted %.2f σ from the pretrained ones", $0) } ?? "")
            s += "<text x=\"10\" y=\"\(ph + 54)\" fill=\"\((drift ?? 0) > 0.5 ? "#d62728" : "#333")\">\(escape(text))</text>\n"
        }
        s += confusionPanel(x0: 10 + 2 * pw, y0: 40, w: pw - 20, h: ph, matrix: r.validation.confusion, names: r.classNames)
        if let roc = r.validation.roc {
            s += linePanel(x0: 10 + 3 * pw, y0: 40, w: pw - 20, h: ph,
                           title: "ROC (AUC \(String(format: "%.4f", r.validation.rocAUC ?? .nan)))",
                           xs: roc.map(\.x), series: [("validation", "#2ca02c", roc.map(\.y))], yRange: (0, 1), marker: nil,
                           xRange: (0, 1), xLabel: "false-positive rate")
        }
        return s + "</svg>\n"
    }

    static func pct(_ v: Double) -> String { String(format: "%.2f%%", v * 100) }

    static func escape(_ t: String) -> String {
        t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func linePanel(x0: Double, y0: Double, w: Double, h: Double, title: String, xs: [Double],
                          series: [(String, String, [Double])], yRange: (Double, Double)?, marker: Double?,
                          xRange: (Double, Double)? = nil, xLabel: String = "epoch") -> String {
        let left = x0 + 40, top = y0 + 20, pw = w - 50, ph = h - 60
        let all = series.flatMap(\.2).filter(\.isFinite)
        var (ylo, yhi) = yRange ?? (all.min() ?? 0, all.max() ?? 1)
        if yhi - ylo < 1e-9 { ylo -= 0.5; yhi += 0.5 }
        let (xlo, xhi) = xRange ?? (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1))
        func px(_ x: Double) -> Double { left + (x - xlo) / (xhi - xlo) * pw }
        func py(_ y: Double) -> Double { top + ph - (y - ylo) / (yhi - ylo) * ph }
        var s = "<g>\n<text x=\"\(left)\" y=\"\(y0 + 12)\" font-size=\"12\">\(escape(title))</text>\n"
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#999\"/>\n"
        s += "<text x=\"\(left - 4)\" y=\"\(top + 4)\" text-anchor=\"end\">\(String(format: "%.3g", yhi))</text>\n"
        s += "<text x=\"\(left - 4)\" y=\"\(top + ph)\" text-anchor=\"end\">\(String(format: "%.3g", ylo))</text>\n"
        s += "<text x=\"\(left)\" y=\"\(top + ph + 14)\">\(String(format: "%.3g", xlo))</text>\n"
        s += "<text x=\"\(left + pw)\" y=\"\(top + ph + 14)\" text-anchor=\"end\">\(String(format: "%.3g", xhi))</text>\n"
        s += "<text x=\"\(left + pw / 2)\" y=\"\(top + ph + 14)\" text-anchor=\"middle\">\(xLabel)</text>\n"
        if let marker {
            s += "<line x1=\"\(px(marker))\" y1=\"\(top)\" x2=\"\(px(marker))\" y2=\"\(top + ph)\" stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>\n"
        }
        for (k, (name, colour, ys)) in series.enumerated() where !ys.isEmpty {
            let points = zip(xs, ys).filter { $0.1.isFinite }.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
            s += "<text x=\"\(left + pw - 4)\" y=\"\(top + 14 + 14 * Double(k))\" text-anchor=\"end\" fill=\"\(colour)\">\(name)</text>\n"
        }
        return s + "</g>\n"
    }

    static func confusionPanel(x0: Double, y0: Double, w: Double, h: Double, matrix: [[Int]], names: [String]) -> String {
        let k = max(matrix.count, 1)
        let left = x0 + 60, top = y0 + 34, size = min(w - 70, h - 70), cell = size / Double(k)
        let peak = Double(max(matrix.flatMap { $0 }.max() ?? 1, 1))
        var s = "<g>\n<text x=\"\(x0)\" y=\"\(y0 + 12)\" font-size=\"12\">confusion (rows: true, columns: predicted)</text>\n"
        for i in 0..<matrix.count {
            for j in 0..<matrix[i].count {
                let v = Double(matrix[i][j]) / peak
                let shade = Int(255 - 200 * v)
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"white\"/>\n"
                if k <= 12 {
                    s += "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\">\(matrix[i][j])</text>\n"
                }
            }
            if k <= 12, i < names.count {
                s += "<text x=\"\(left - 4)\" y=\"\(top + (Double(i) + 0.5) * cell + 4)\" text-anchor=\"end\">\(escape(String(names[i].prefix(9))))</text>\n"
                s += "<text x=\"\(left + (Double(i) + 0.5) * cell)\" y=\"\(top - 4)\" text-anchor=\"middle\">\(escape(String(names[i].prefix(9))))</text>\n"
            }
        }
        return s + "</g>\n"
    }
}
