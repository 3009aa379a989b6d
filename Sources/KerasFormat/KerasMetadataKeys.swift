/// Root attributes under which Graft stores, in a legacy Keras `.h5`, what
/// Keras has no place for. `KerasH5Writer` writes them and `LegacyH5Reader`
/// reads them back into `ModelMetadata`; Keras ignores unknown attributes.
enum KerasMetadataKeys {
    /// JSON of `Preprocessing` (sorted keys).
    static let preprocessing = "graft_preprocessing"
    /// JSON array of class names, in output order.
    static let classNames = "graft_class_names"
    /// JSON object of `ModelMetadata.properties`.
    static let properties = "graft_properties"
}
