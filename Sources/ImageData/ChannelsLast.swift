import TensorCore

extension Tensor {
    /// An image batch `[N, C, H, W]` (what `ImagePreprocessor` makes) as `[N, H, W, C]`,
    /// for models whose input is channels-last (open_nsfw, Keras exports).
    public func channelsLast() -> Tensor {
        precondition(rank == 4, "channelsLast needs [N, C, H, W], got \(shape)")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        var out = Tensor(zeros: [n, h, w, c])
        withUnsafeFloats { src in
            out.withUnsafeMutableFloats { dst in
                for b in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
                    dst[((b * h + y) * w + x) * c + ch] = src[((b * c + ch) * h + y) * w + x]
                } } } }
            }
        }
        return out
    }
}
