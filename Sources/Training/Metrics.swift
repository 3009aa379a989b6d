import Foundation

/// Per-class precision, recall and F1 with the class's support.
public struct ClassMetrics: Sendable, Codable, Equatable {
    public var name: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
}

/// One point of a ROC curve (`x` = false-positive rate, `y` = true-positive rate)
/// or a precision–recall curve (`x` = recall, `y` = precision), at `threshold`.
public struct CurvePoint: Sendable, Codable, Equatable {
    public var threshold: Double
    public var x: Double
    public var y: Double
}

/// How a binary decision threshold is chosen on validation data.
public enum ThresholdRule: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The threshold with the highest F1 of the positive class.
    case f1
    /// The lowest threshold whose precision is at least the target (highest recall with it).
    case precision(Double)
    /// The highest threshold whose recall is at least the target (highest precision with it).
    case recall(Double)

    /// Parses `f1`, `precision=0.95` or `recall=0.95`.
    public init?(_ text: String) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("f1", 1): self = .f1
        case ("precision", 2): guard let v = Double(parts[1]), (0...1).contains(v) else { return nil }; self = .precision(v)
        case ("recall", 2): guard let v = Double(parts[1]), (0...1).contains(v) else { return nil }; self = .recall(v)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .f1: "f1"
        case .precision(let v): "precision=\(v)"
        case .recall(let v): "recall=\(v)"
        }
    }
}

/// Classification metrics of predictions against labels.
public struct Metrics: Sendable, Codable, Equatable {
    public var count: Int
    public var accuracy: Double
    public var classes: [ClassMetrics]
    /// `confusion[true][predicted]`.
    public var confusion: [[Int]]
    public var macroF1: Double
    /// Two classes only: scores are the positive class' probability.
    public var rocAUC: Double?
    public var roc: [CurvePoint]?
    public var precisionRecall: [CurvePoint]?
    /// Two classes only: the threshold the predictions used.
    public var threshold: Double?

    /// `probabilities` is `[n, K]`. With two classes the prediction is class 1 when
    /// `p[1] ≥ threshold` (default 0.5), else the argmax.
    public static func compute(probabilities p: [Double], labels: [Int], classNames: [String], threshold: Double? = nil) -> Metrics {
        let k = classNames.count, n = labels.count
        precondition(p.count == n * k)
        let binary = k == 2
        let cut = threshold ?? 0.5
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var scores: [Double] = []
        for r in 0..<n {
            let row = p[r * k..<(r + 1) * k]
            let predicted = binary ? (row[row.startIndex + 1] >= cut ? 1 : 0) : argmax(row)
            confusion[labels[r]][predicted] += 1
            if binary { scores.append(row[row.startIndex + 1]) }
        }
        var perClass: [ClassMetrics] = []
        for c in 0..<k {
            let tp = Double(confusion[c][c])
            let predicted = Double((0..<k).reduce(0) { $0 + confusion[$1][c] })
            let actual = Double(confusion[c].reduce(0, +))
            let precision = predicted > 0 ? tp / predicted : 0
            let recall = actual > 0 ? tp / actual : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            perClass.append(ClassMetrics(name: classNames[c], precision: precision, recall: recall, f1: f1, support: Int(actual)))
        }
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        var m = Metrics(count: n, accuracy: n > 0 ? Double(correct) / Double(n) : 0, classes: perClass, confusion: confusion,
                        macroF1: perClass.map(\.f1).reduce(0, +) / Double(k))
        if binary {
            m.threshold = cut
            let positives = labels.map { $0 == 1 }
            m.roc = rocCurve(scores: scores, positives: positives)
            m.rocAUC = auc(scores: scores, positives: positives)
            m.precisionRecall = precisionRecallCurve(scores: scores, positives: positives)
        }
        return m
    }

    /// Index of the largest value (the first of equal ones).
    public static func argmax(_ values: ArraySlice<Double>) -> Int {
        var best = values.startIndex
        for i in values.indices where values[i] > values[best] { best = i }
        return best - values.startIndex
    }

    /// ROC-AUC as the probability that a random positive scores above a random
    /// negative, ties counting one half (the Mann–Whitney statistic). Nil without both classes.
    public static func auc(scores: [Double], positives: [Bool]) -> Double? {
        let pos = positives.filter { $0 }.count, neg = positives.count - pos
        guard pos > 0, neg > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for t in i...j where positives[order[t]] { rankSum += averageRank }
            i = j + 1
        }
        return (rankSum - Double(pos) * Double(pos + 1) / 2) / (Double(pos) * Double(neg))
    }

    /// Counts at each distinct score used as threshold (predict positive when score ≥ t), highest first.
    static func sweep(scores: [Double], positives: [Bool]) -> [(threshold: Double, tp: Int, fp: Int)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var result: [(Double, Int, Int)] = []
        var tp = 0, fp = 0, i = 0
        while i < order.count {
            let t = scores[order[i]]
            while i < order.count, scores[order[i]] == t {
                if positives[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            result.append((t, tp, fp))
        }
        return result
    }

    public static func rocCurve(scores: [Double], positives: [Bool]) -> [CurvePoint] {
        let pos = max(positives.filter { $0 }.count, 1), neg = max(positives.count - positives.filter { $0 }.count, 1)
        return [CurvePoint(threshold: .infinity, x: 0, y: 0)] + sweep(scores: scores, positives: positives).map {
            CurvePoint(threshold: $0.threshold, x: Double($0.fp) / Double(neg), y: Double($0.tp) / Double(pos))
        }
    }

    public static func precisionRecallCurve(scores: [Double], positives: [Bool]) -> [CurvePoint] {
        let pos = max(positives.filter { $0 }.count, 1)
        return sweep(scores: scores, positives: positives).map {
            CurvePoint(threshold: $0.threshold, x: Double($0.tp) / Double(pos), y: Double($0.tp) / Double($0.tp + $0.fp))
        }
    }

    /// The threshold on the positive class' probability that `rule` picks; 0.5 when
    /// no threshold satisfies it (or there are no positives).
    public static func chooseThreshold(scores: [Double], positives: [Bool], rule: ThresholdRule) -> Double {
        let pos = positives.filter { $0 }.count
        guard pos > 0 else { return 0.5 }
        let points = sweep(scores: scores, positives: positives)
        switch rule {
        case .f1:
            var best = (f1: -1.0, t: 0.5)
            for p in points {
                let f1 = 2 * Double(p.tp) / Double(p.tp + p.fp + pos)
                if f1 > best.f1 { best = (f1, p.threshold) }
            }
            return best.t
        case .precision(let target):
            // Lowest threshold (largest recall) whose precision reaches the target.
            let ok = points.filter { Double($0.tp) / Double($0.tp + $0.fp) >= target }
            return ok.last?.threshold ?? 0.5
        case .recall(let target):
            // Highest threshold whose recall reaches the target.
            return points.first { Double($0.tp) / Double(pos) >= target }?.threshold ?? 0.5
        }
    }
}
