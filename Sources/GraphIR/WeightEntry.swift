import TensorCore

/// One stored weight tensor as a file lists it, before (or without) building a graph.
/// `graft inspect --weights` prints these, so files whose architecture Graft
/// cannot rebuild can still be looked into.
public struct WeightEntry: Sendable, Equatable {
    /// The name in the file (an HDF5 path, an ONNX initializer name).
    public var name: String
    /// The layer or node that owns it, when the file says.
    public var layer: String?
    public var dtype: DType
    /// The shape as stored (Keras: HWIO/NHWC order, untouched).
    public var shape: [Int]
    public var trainable: Bool?

    public init(name: String, layer: String? = nil, dtype: DType, shape: [Int], trainable: Bool? = nil) {
        self.name = name
        self.layer = layer
        self.dtype = dtype
        self.shape = shape
        self.trainable = trainable
    }

    public var elementCount: Int { shape.reduce(1, *) }
}
