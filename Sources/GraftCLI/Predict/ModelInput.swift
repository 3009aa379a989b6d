import GraphIR
import ImageData
import TensorCore

/// How images become the tensor a graph's input wants: the preprocessing to
/// use, and whether the input is NCHW (the IR's layout) or NHWC (as open_nsfw's is).
struct ModelInput {
    var name: String
    var preprocessing: Preprocessing
    var channelsLast: Bool
    /// Where the preprocessing came from, for the user: "the model file", "catalog: …", "--preprocess".
    var source: String

    /// Preprocessing from `option`, else the model's metadata, else the catalog; sized to the input.
    init(graph: Graph, option: String?) throws {
        guard let input = graph.inputs.first, input.type.shape.rank == 4 else {
            throw CLIError.notAnImageModel(reason: "its first input is not a 4-D image tensor")
        }
        let dims = input.type.shape.dims
        channelsLast = dims[3] == .known(3) && dims[1] != .known(3)
        name = input.name
        if let option {
            preprocessing = try Preprocessing(option: option)
            source = "--preprocess"
        } else if let own = graph.metadata.preprocessing {
            preprocessing = own
            source = graph.metadata.properties["graft.preprocessing_source"] ?? "the model file"
        } else if let entry = ModelCatalog.entry(for: graph) {
            preprocessing = entry.preprocessing
            source = "catalog: \(entry.name)"
        } else {
            throw CLIError.noPreprocessing
        }
        // A fixed-size input wins over the preprocessing's size: images are resized to fit.
        let (h, w) = channelsLast ? (dims[1], dims[2]) : (dims[2], dims[3])
        if let h = h.value, let w = w.value, preprocessing.size != [h, w] {
            preprocessing.size = [h, w]
        }
    }

    /// `[N, 3, H, W]` from the preprocessor, transposed to NHWC when the input wants it.
    func feed(_ nchw: Tensor) -> Tensor {
        guard channelsLast else { return nchw }
        return nchw.channelsLast()
    }
}
