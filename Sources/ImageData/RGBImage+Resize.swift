extension RGBImage {
    /// The image resized to `width`×`height` with bilinear interpolation.
    ///
    /// - `antialias: true` — PIL's `Image.resize(..., BILINEAR)`: a triangle filter whose
    ///   support grows with the shrink factor, horizontal pass first, the intermediate
    ///   rounded to 8 bits. Matches Pillow within ±1.
    /// - `antialias: false` — plain bilinear with half-pixel centres: output pixel `i` samples
    ///   the input at `(i + 0.5) * in / out - 0.5`, clamped to the edge (OpenCV `INTER_LINEAR`,
    ///   `skimage.transform.resize(order=1, anti_aliasing=False, mode="edge")`). Matches skimage
    ///   within ±1.
    public func resized(width outWidth: Int, height outHeight: Int, antialias: Bool = true) -> RGBImage {
        precondition(outWidth > 0 && outHeight > 0 && width > 0 && height > 0,
                     "resize \(width)x\(height) -> \(outWidth)x\(outHeight)")
        if outWidth == width && outHeight == height { return self }
        let horizontal = ResampleWeights(inSize: width, outSize: outWidth, antialias: antialias)
        let vertical = ResampleWeights(inSize: height, outSize: outHeight, antialias: antialias)
        // The first pass reads the bytes directly, so no full-size float copy is made.
        var plane: [Float]
        if outWidth != width {
            plane = pixels.withUnsafeBufferPointer {
                resampleRows($0, rows: height, inWidth: width, weights: horizontal, roundToBytes: antialias)
            }
            if outHeight != height {
                plane = plane.withUnsafeBufferPointer {
                    resampleColumns($0, width: outWidth, inHeight: height, weights: vertical)
                }
            }
        } else {
            plane = pixels.withUnsafeBufferPointer {
                resampleColumns($0, width: outWidth, inHeight: height, weights: vertical)
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: byteValues(plane))
    }

    /// Resized so the shorter side is `shorterSide`, keeping the aspect ratio; the longer side
    /// is `Int(shorterSide * longer / shorter)` (truncated, as torchvision's `Resize(int)`).
    public func resized(shorterSide: Int, antialias: Bool = true) -> RGBImage {
        precondition(shorterSide > 0 && width > 0 && height > 0)
        if width <= height {
            return resized(width: shorterSide, height: max(1, shorterSide * height / width), antialias: antialias)
        }
        return resized(width: max(1, shorterSide * width / height), height: shorterSide, antialias: antialias)
    }
}

/// Rounds to the nearest byte value (halves up), clamped to 0…255, still as a Float.
/// Float operations only, so the loops that call it vectorise (an `Int(Float)`
/// conversion checks its range per element: it was 5% of a `graft train` profile).
@inline(__always)
private func roundedByte(_ value: Float) -> Float {
    min(max((value + 0.5).rounded(.down), 0), 255)
}

/// `roundedByte` of every value, as bytes. Adding 2^23 puts a whole number below
/// 2^23 into the low bits of the float's significand, so no checked conversion is needed.
private func byteValues(_ values: [Float]) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: values.count) { bytes, count in
        values.withUnsafeBufferPointer { v in
            for i in v.indices {
                bytes[i] = UInt8(truncatingIfNeeded: (roundedByte(v[i]) + 8_388_608).bitPattern)
            }
        }
        count = values.count
    }
}

/// For each output index `i`: the first input index `starts[i]` and `counts[i]` weights
/// stored at `values[i * stride ..< i * stride + counts[i]]`.
struct ResampleWeights {
    var starts: [Int] = []
    var counts: [Int] = []
    var values: [Float] = []
    var stride = 0

    init(inSize: Int, outSize: Int, antialias: Bool) {
        let scale = Double(inSize) / Double(outSize)
        var rows: [[Float]] = []
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            if antialias {
                let filterScale = max(scale, 1)
                let support = filterScale
                let first = max(Int(center - support + 0.5), 0)
                let end = min(Int(center + support + 0.5), inSize)
                var w = (first..<end).map { j in
                    max(0, 1 - abs((Double(j) - center + 0.5) / filterScale))
                }
                let total = w.reduce(0, +)
                if total > 0 { w = w.map { $0 / total } }
                starts.append(first)
                rows.append(w.map(Float.init))
            } else {
                let position = min(max(center - 0.5, 0), Double(inSize - 1))
                let left = min(Int(position), inSize - 1)
                let fraction = Float(position - Double(left))
                starts.append(left)
                rows.append(left + 1 < inSize ? [1 - fraction, fraction] : [1])
            }
        }
        stride = rows.map(\.count).max() ?? 0
        counts = rows.map(\.count)
        values = rows.flatMap { $0 + [Float](repeating: 0, count: stride - $0.count) }
    }
}

/// Resamples each row of an interleaved RGB plane from `inWidth` to `weights.starts.count` columns.
private func resampleRows<Sample: SampleValue>(_ src: UnsafeBufferPointer<Sample>, rows: Int, inWidth: Int,
                                               weights: ResampleWeights, roundToBytes: Bool) -> [Float] {
    let outWidth = weights.starts.count
    var out = [Float](repeating: 0, count: rows * outWidth * 3)
    weights.values.withUnsafeBufferPointer { taps in
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<rows {
                let row = y * inWidth * 3
                for x in 0..<outWidth {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    let first = row + weights.starts[x] * 3, tapBase = x * weights.stride
                    for k in 0..<weights.counts[x] {
                        let w = taps[tapBase + k], p = first + k * 3
                        r += w * src[p].floatValue; g += w * src[p + 1].floatValue; b += w * src[p + 2].floatValue
                    }
                    let q = (y * outWidth + x) * 3
                    if roundToBytes {
                        dst[q] = roundedByte(r); dst[q + 1] = roundedByte(g); dst[q + 2] = roundedByte(b)
                    } else {
                        dst[q] = r; dst[q + 1] = g; dst[q + 2] = b
                    }
                }
            }
        }
    }
    return out
}

/// Resamples each column of an interleaved RGB plane from `inHeight` to `weights.starts.count` rows.
private func resampleColumns<Sample: SampleValue>(_ src: UnsafeBufferPointer<Sample>, width: Int, inHeight: Int,
                                                  weights: ResampleWeights) -> [Float] {
    let outHeight = weights.starts.count
    let rowLength = width * 3
    var out = [Float](repeating: 0, count: outHeight * rowLength)
    weights.values.withUnsafeBufferPointer { taps in
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<outHeight {
                let target = y * rowLength
                let d = dst.baseAddress! + target
                for k in 0..<weights.counts[y] {
                    let w = taps[y * weights.stride + k], s = src.baseAddress! + (weights.starts[y] + k) * rowLength
                    for i in 0..<rowLength { d[i] += w * s[i].floatValue }
                }
            }
        }
    }
    return out
}

/// A pixel sample the resampling passes read: the image's bytes or a pass's floats.
protocol SampleValue { var floatValue: Float { get } }
extension UInt8: SampleValue { var floatValue: Float { Float(self) } }
extension Float: SampleValue { var floatValue: Float { self } }
