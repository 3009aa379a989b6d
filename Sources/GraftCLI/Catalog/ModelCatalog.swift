import GraphIR
import ImageData

/// Known pretrained backbones (`Models/catalog.json` says where each comes from),
/// recognised by parameter count and input shape, for files that do not carry
/// their own preprocessing and class names.
struct CatalogEntry {
    var name: String
    var parameters: Int
    /// The graph input's shape without the batch dimension.
    var inputShape: [Int]
    var preprocessing: Preprocessing
    var classNames: [String]?
}

enum ModelCatalog {
    static let entries: [CatalogEntry] = [
        CatalogEntry(name: "efficientnet_lite0", parameters: 4_631_000, inputShape: [3, 224, 224],
                     preprocessing: PreprocessingPreset.efficientNetLite.preprocessing, classNames: imageNet1kLabels),
        CatalogEntry(name: "open_nsfw", parameters: 5_929_282, inputShape: [224, 224, 3],
                     preprocessing: PreprocessingPreset.openNSFW.preprocessing, classNames: ["sfw", "nsfw"]),
        CatalogEntry(name: "dog_breed_mobilenetv2", parameters: 2_282_323, inputShape: [3, 160, 160],
                     preprocessing: {
                         var p = PreprocessingPreset.kerasMobileNetV2.preprocessing
                         p.size = [160, 160]
                         return p
                     }(), classNames: nil),
    ]

    /// The entry whose fingerprint matches `graph`, if any.
    static func entry(for graph: Graph) -> CatalogEntry? {
        let parameters = graph.parameters.values.filter(\.countsAsParameter).reduce(0) { $0 + $1.tensor.elementCount }
        let shape = graph.inputs.first.flatMap { $0.type.shape.knownSizes == nil ? Array($0.type.shape.dims.dropFirst()).compactMap(\.value) : nil }
        return entries.first { $0.parameters == parameters && $0.inputShape == shape }
    }
}
