import Foundation
import GraphIR

/// `graft inspect --weights`: the stored tensors, as the file names and shapes them.
enum WeightListing {
    static func table(_ entries: [WeightEntry], file: String) -> String {
        var t = TextTable(headers: ["Weight", "Dtype", "Shape", "Elements", "Trainable"], rightAligned: [3])
        t.rows = entries.map {
            [$0.name, $0.dtype.rawValue, "\($0.shape)", $0.elementCount.grouped, $0.trainable.map { $0 ? "yes" : "no" } ?? "-"]
        }
        let total = entries.reduce(0) { $0 + $1.elementCount }
        return "Weights of \(file)\n\n" + t.render() + "\n\n\(entries.count) tensors, \(total.grouped) elements"
    }

    private struct Listing: Encodable {
        struct Entry: Encodable {
            var name: String
            var layer: String?
            var dtype: String
            var shape: [Int]
            var elements: Int
            var trainable: Bool?
        }
        var file: String
        var tensors: Int
        var elements: Int
        var weights: [Entry]
    }

    static func json(_ entries: [WeightEntry], file: String) throws -> String {
        let listing = Listing(
            file: file, tensors: entries.count, elements: entries.reduce(0) { $0 + $1.elementCount },
            weights: entries.map { .init(name: $0.name, layer: $0.layer, dtype: $0.dtype.rawValue, shape: $0.shape,
                                         elements: $0.elementCount, trainable: $0.trainable) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(listing), as: UTF8.self)
    }
}
