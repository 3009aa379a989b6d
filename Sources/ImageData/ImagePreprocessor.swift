import Dispatch
import Foundation
import GraphIR
import TensorCore

/// Turns image files into a model's input tensor, following a `Preprocessing` recipe.
///
/// Output: float32 `[N, 3, H, W]` (NCHW, the IR's layout, whatever `preprocessing.layout`
/// says about the original model), channels in `preprocessing.channelOrder`,
/// `x = (pixel - mean[c]) / std[c]` with pixels in 0…255.
public struct ImagePreprocessor: Sendable {
    public let preprocessing: Preprocessing
    public let decoder: ImageDecoder

    /// Throws when the recipe is unusable (see `Preprocessing.validate()`).
    public init(_ preprocessing: Preprocessing, decoder: ImageDecoder = ImageDecoder()) throws(PreprocessingError) {
        try preprocessing.validate()
        self.preprocessing = preprocessing
        self.decoder = decoder
    }

    /// `[height, width]` of each image in the output tensor.
    public var outputHeight: Int { preprocessing.size[0] }
    public var outputWidth: Int { preprocessing.size[1] }

    /// The decoded image resized and cropped to `size`, still 8-bit RGB.
    public func resizedAndCropped(_ image: RGBImage) -> RGBImage {
        let p = preprocessing
        switch p.resize {
        case .stretch:
            return image.resized(width: outputWidth, height: outputHeight, antialias: p.antialias)
        case .stretchThenCrop(let height, let width):
            return image.resized(width: width, height: height, antialias: p.antialias)
                .centreCropped(width: outputWidth, height: outputHeight)
        case .shorterSideThenCrop(let side):
            return image.resized(shorterSide: side, antialias: p.antialias)
                .centreCropped(width: outputWidth, height: outputHeight)
        }
    }

    /// A `[N, 3, H, W]` tensor for already decoded images.
    public func tensor(for images: [RGBImage]) -> Tensor {
        var tensor = Tensor(zeros: [images.count, 3, outputHeight, outputWidth])
        tensor.withUnsafeMutableFloats { floats in
            let out = DisjointWrites(floats)
            DispatchQueue.concurrentPerform(iterations: images.count) { i in
                write(resizedAndCropped(images[i]), into: out.buffer, at: i)
            }
        }
        return tensor
    }

    /// Decodes, resizes and normalises `urls` (in parallel) into a `[N, 3, H, W]` tensor.
    /// Throws the error of the first file, in `urls` order, that cannot be decoded.
    public func tensor(forFilesAt urls: [URL]) throws(ImageError) -> Tensor {
        var tensor = Tensor(zeros: [urls.count, 3, outputHeight, outputWidth])
        var failures = [ImageError?](repeating: nil, count: urls.count)
        failures.withUnsafeMutableBufferPointer { failureSlots in
            tensor.withUnsafeMutableFloats { floats in
                let out = DisjointWrites(floats), failed = DisjointWrites(failureSlots)
                DispatchQueue.concurrentPerform(iterations: urls.count) { i in
                    do throws(ImageError) {
                        let image = try decoder.decode(contentsOf: urls[i])
                        write(resizedAndCropped(image), into: out.buffer, at: i)
                    } catch {
                        failed.buffer[i] = error
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        return tensor
    }

    /// Writes image `index` of the batch: channel order, then `(pixel - mean) / std`.
    private func write(_ image: RGBImage, into out: UnsafeMutableBufferPointer<Float>, at index: Int) {
        let p = preprocessing
        let planeSize = outputHeight * outputWidth
        let source: [Int] = p.channelOrder == .rgb ? [0, 1, 2] : [2, 1, 0]
        let mean = p.mean.count == 1 ? Array(repeating: p.mean[0], count: 3) : p.mean
        let std = p.std.count == 1 ? Array(repeating: p.std[0], count: 3) : p.std
        image.pixels.withUnsafeBufferPointer { pixels in
            for c in 0..<3 {
                let plane = out.baseAddress! + (index * 3 + c) * planeSize
                let from = pixels.baseAddress! + source[c], m = mean[c], s = std[c]
                for i in 0..<planeSize { plane[i] = (Float(from[i * 3]) - m) / s }
            }
        }
    }
}

/// A buffer shared by concurrent workers that each write only their own indices.
private struct DisjointWrites<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
