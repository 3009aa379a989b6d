/// How to turn an image into the model's input. Travels with the model.
///
/// Order of steps: decode → resize (per `resize`) → centre crop to `size` → channel order
/// → `(pixel - mean) / std`.
public struct Preprocessing: Sendable, Equatable, Codable {
    public enum ChannelOrder: String, Sendable, Codable { case rgb, bgr }
    public enum Layout: String, Sendable, Codable { case nchw, nhwc }

    /// How the decoded image reaches `size`.
    public enum Resize: Sendable, Equatable, Codable {
        /// Resize straight to `size`, ignoring the aspect ratio.
        case stretch
        /// Resize to `height`×`width` (aspect ignored), then centre-crop `size`.
        case stretchThenCrop(height: Int, width: Int)
        /// Resize so the shorter side is `shorterSide` (aspect kept), then centre-crop `size`.
        case shorterSideThenCrop(shorterSide: Int)
    }

    /// `[height, width]` of the network input.
    public var size: [Int]
    public var channelOrder: ChannelOrder
    /// Layout of the model's own input tensor (the IR itself is always NCHW).
    public var layout: Layout
    /// `x = (pixel - mean) / std`, per channel, pixels in 0…255.
    public var mean: [Float]
    public var std: [Float]
    public var resize: Resize
    /// Bilinear with a support that widens when shrinking (as PIL's `BILINEAR`), or plain
    /// bilinear (as OpenCV's `INTER_LINEAR` and skimage's `order=1, anti_aliasing=False`).
    public var antialias: Bool

    public init(size: [Int], channelOrder: ChannelOrder = .rgb, layout: Layout = .nchw,
                mean: [Float], std: [Float], resize: Resize = .stretch, antialias: Bool = true) {
        self.size = size
        self.channelOrder = channelOrder
        self.layout = layout
        self.mean = mean
        self.std = std
        self.resize = resize
        self.antialias = antialias
    }

    private enum CodingKeys: String, CodingKey {
        case size, channelOrder, layout, mean, std, resize, antialias
    }

    /// Decodes; `resize` and `antialias` are optional (`.stretch`, `true`) so older files still load.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        size = try c.decode([Int].self, forKey: .size)
        channelOrder = try c.decode(ChannelOrder.self, forKey: .channelOrder)
        layout = try c.decode(Layout.self, forKey: .layout)
        mean = try c.decode([Float].self, forKey: .mean)
        std = try c.decode([Float].self, forKey: .std)
        resize = try c.decodeIfPresent(Resize.self, forKey: .resize) ?? .stretch
        antialias = try c.decodeIfPresent(Bool.self, forKey: .antialias) ?? true
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
