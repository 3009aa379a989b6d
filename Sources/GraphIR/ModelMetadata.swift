/// How to turn an image into the model's input. Travels with the model.
public struct Preprocessing: Sendable, Equatable, Codable {
    public enum ChannelOrder: String, Sendable, Codable { case rgb, bgr }
    public enum Layout: String, Sendable, Codable { case nchw, nhwc }

    /// `[height, width]` of the network input.
    public var size: [Int]
    public var channelOrder: ChannelOrder
    /// Layout of the model's own input tensor (the IR itself is always NCHW).
    public var layout: Layout
    /// `x = (pixel - mean) / std`, per channel, pixels in 0…255.
    public var mean: [Float]
    public var std: [Float]

    public init(size: [Int], channelOrder: ChannelOrder = .rgb, layout: Layout = .nchw,
                mean: [Float], std: [Float]) {
        self.size = size
        self.channelOrder = channelOrder
        self.layout = layout
        self.mean = mean
        self.std = std
    }
}

/// Facts about the model that are not part of the computation.
public struct ModelMetadata: Sendable, Equatable {
    /// "onnx", "keras-h5", "keras-zip", …
    public var sourceFormat: String
    /// Producer and version as the file states them (e.g. "pytorch 1.13.1", "keras 3.11.3").
    public var producer: String
    public var preprocessing: Preprocessing?
    public var classNames: [String]?
    /// Free-form key/value pairs from the file (ONNX `metadata_props`), kept for export.
    public var properties: [String: String]

    public init(sourceFormat: String, producer: String = "", preprocessing: Preprocessing? = nil,
                classNames: [String]? = nil, properties: [String: String] = [:]) {
        self.sourceFormat = sourceFormat
        self.producer = producer
        self.preprocessing = preprocessing
        self.classNames = classNames
        self.properties = properties
    }
}
