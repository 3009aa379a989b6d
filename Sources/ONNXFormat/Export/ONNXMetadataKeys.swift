/// `metadata_props` keys under which Graft stores what ONNX has no field for.
/// The writer sets them and the importer reads them back.
enum ONNXMetadataKeys {
    /// JSON of `Preprocessing`.
    static let preprocessing = "graft.preprocessing"
    /// JSON array of class names, in output order.
    static let classNames = "graft.class_names"
    /// JSON array of the weight initializers that are frozen (not trainable).
    static let frozen = "graft.frozen"
}
