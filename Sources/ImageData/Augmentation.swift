import Foundation
import TensorCore

/// Random image augmentation for training: horizontal flip, random resized crop and
/// a small colour jitter, applied to a decoded image before the usual preprocessing.
///
/// `apply(to:seed:)` is a pure function of the image and the seed (SplitMix64 of its
/// own; no global state), so an augmented view can be recomputed — or cached — by
/// `(image, augmentation, seed)`. The crop is taken in the source image at its own
/// resolution; `ImagePreprocessor` then resizes and crops it to the model's input as it
/// does any image. Order: crop, flip, brightness, contrast, saturation; the pixels are
/// rounded to 8 bits once, at the end.
///
/// The defaults suit small datasets (torchvision's `RandomResizedCrop` with a milder
/// scale, `RandomHorizontalFlip`, `ColorJitter(0.1, 0.1, 0.1)`). Turn parts off for data
/// where they change the meaning: `flip: false` for text, `brightness: 0`, …
public struct Augmentation: Sendable, Codable, Equatable {
    /// Mirror left–right with probability `flipProbability`.
    public var flip: Bool
    public var flipProbability: Double
    /// Random resized crop: the crop's area is `cropArea` × the image's area and its
    /// width/height ratio in `cropAspect` (drawn log-uniformly). nil: no crop.
    public var cropArea: ClosedRange<Double>?
    public var cropAspect: ClosedRange<Double>
    /// Each factor is drawn uniformly in `[1 - x, 1 + x]`; 0 turns that jitter off.
    /// Brightness scales the pixels; contrast blends with the image's mean grey;
    /// saturation blends each pixel with its own grey (ITU-R 601 luma weights).
    public var brightness: Double
    public var contrast: Double
    public var saturation: Double

    public init(flip: Bool = true, flipProbability: Double = 0.5, cropArea: ClosedRange<Double>? = 0.6...1.0,
                cropAspect: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0),
                brightness: Double = 0.1, contrast: Double = 0.1, saturation: Double = 0.1) {
        self.flip = flip
        self.flipProbability = flipProbability
        self.cropArea = cropArea
        self.cropAspect = cropAspect
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
    }

    /// Everything off: `apply` returns the image unchanged.
    public static let identity = Augmentation(flip: false, cropArea: nil, brightness: 0, contrast: 0, saturation: 0)

    /// True when `apply` can change an image.
    public var isIdentity: Bool {
        !(flip && flipProbability > 0) && cropArea == nil && brightness == 0 && contrast == 0 && saturation == 0
    }

    /// The random choices for one image size and seed.
    public struct Draw: Sendable, Equatable {
        /// The crop window in the source image: top-left corner and size.
        public var x: Int, y: Int, width: Int, height: Int
        public var flipped: Bool
        public var brightness: Double, contrast: Double, saturation: Double
    }

    /// What `apply(to:seed:)` does to a `width`×`height` image with `seed`. Each part
    /// draws from its own stream, so turning one part off does not change the others.
    public func draw(width: Int, height: Int, seed: UInt64) -> Draw {
        var flipRandom = SplitMix64(seed: seed ^ 0x464C_4950_0000_0001)
        var colourRandom = SplitMix64(seed: seed ^ 0x434F_4C52_0000_0002)
        var cropRandom = SplitMix64(seed: seed ^ 0x4352_4F50_0000_0003)
        func factor(_ amount: Double) -> Double {
            let u = colourRandom.nextUnit()
            return amount > 0 ? 1 - amount + 2 * amount * u : 1
        }
        let flipped = flip && flipRandom.nextUnit() < flipProbability
        let b = factor(brightness), c = factor(contrast), s = factor(saturation)
        let window = cropArea.map { cropWindow(width: width, height: height, area: $0, random: &cropRandom) }
            ?? (0, 0, width, height)
        return Draw(x: window.0, y: window.1, width: window.2, height: window.3, flipped: flipped,
                    brightness: b, contrast: c, saturation: s)
    }

    /// The augmented image; the same image and seed always give the same bytes.
    public func apply(to image: RGBImage, seed: UInt64) -> RGBImage {
        guard !isIdentity, image.width > 0, image.height > 0 else { return image }
        let d = draw(width: image.width, height: image.height, seed: seed)
        var out = image.cropped(x: d.x, y: d.y, width: d.width, height: d.height)
        if d.flipped { out = out.flippedHorizontally() }
        if d.brightness == 1 && d.contrast == 1 && d.saturation == 1 { return out }
        return out.colourJittered(brightness: d.brightness, contrast: d.contrast, saturation: d.saturation)
    }

    /// torchvision's `RandomResizedCrop.get_params`: ten tries at a window with a drawn
    /// area and aspect ratio that fits; else the largest centred window within `cropAspect`.
    private func cropWindow(width: Int, height: Int, area: ClosedRange<Double>,
                            random: inout SplitMix64) -> (Int, Int, Int, Int) {
        let total = Double(width * height)
        let logLow = log(cropAspect.lowerBound), logHigh = log(cropAspect.upperBound)
        for _ in 0..<10 {
            let target = total * (area.lowerBound + (area.upperBound - area.lowerBound) * random.nextUnit())
            let ratio = exp(logLow + (logHigh - logLow) * random.nextUnit())
            let w = Int((target * ratio).squareRoot().rounded()), h = Int((target / ratio).squareRoot().rounded())
            if w > 0, h > 0, w <= width, h <= height {
                let x = random.next(below: width - w + 1), y = random.next(below: height - h + 1)
                return (x, y, w, h)
            }
        }
        let ratio = Double(width) / Double(height)
        var w = width, h = height
        if ratio < cropAspect.lowerBound {
            h = max(1, min(height, Int((Double(w) / cropAspect.lowerBound).rounded())))
        } else if ratio > cropAspect.upperBound {
            w = max(1, min(width, Int((Double(h) * cropAspect.upperBound).rounded())))
        }
        return ((width - w) / 2, (height - h) / 2, w, h)
    }
}

extension RGBImage {
    /// The `width`×`height` window whose top-left pixel is `(x, y)`.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && cropWidth > 0 && cropHeight > 0 && x + cropWidth <= width && y + cropHeight <= height,
                     "crop \(cropWidth)x\(cropHeight) at (\(x), \(y)) from \(width)x\(height)")
        if x == 0 && y == 0 && cropWidth == width && cropHeight == height { return self }
        var out = [UInt8]()
        out.reserveCapacity(cropWidth * cropHeight * 3)
        for row in y..<(y + cropHeight) {
            let start = (row * width + x) * 3
            out.append(contentsOf: pixels[start..<(start + cropWidth * 3)])
        }
        return RGBImage(width: cropWidth, height: cropHeight, pixels: out)
    }

    /// Mirrored left–right.
    public func flippedHorizontally() -> RGBImage {
        var out = pixels
        for row in 0..<height {
            for col in 0..<width {
                let from = (row * width + width - 1 - col) * 3, to = (row * width + col) * 3
                out[to] = pixels[from]; out[to + 1] = pixels[from + 1]; out[to + 2] = pixels[from + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Brightness (`p · b`), then contrast (`m + c · (p − m)`, `m` the mean grey of the
    /// image), then saturation (`g + s · (p − g)`, `g` the pixel's grey), as torchvision's
    /// `adjust_*` functions; computed in Float and rounded to 8 bits once.
    func colourJittered(brightness: Double, contrast: Double, saturation: Double) -> RGBImage {
        let b = Float(brightness), c = Float(contrast), s = Float(saturation)
        var values = pixels.map { min(Float($0) * b, 255) }
        func grey(_ i: Int) -> Float { 0.299 * values[i] + 0.587 * values[i + 1] + 0.114 * values[i + 2] }
        let count = width * height
        if c != 1, count > 0 {
            var sum: Float = 0
            for i in 0..<count { sum += grey(i * 3) }
            let mean = sum / Float(count)
            for i in values.indices { values[i] = min(max(mean + c * (values[i] - mean), 0), 255) }
        }
        if s != 1 {
            for i in 0..<count {
                let g = grey(i * 3)
                for k in 0..<3 { values[i * 3 + k] = min(max(g + s * (values[i * 3 + k] - g), 0), 255) }
            }
        }
        return RGBImage(width: width, height: height, pixels: values.map { UInt8(clamping: Int(($0 + 0.5).rounded(.down))) })
    }
}
