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
        var plane = pixels.map(Float.init)
        if outWidth != width {
            plane = resampleRows(plane, rows: height, inWidth: width, weights: horizontal, roundToBytes: antialias)
        }
        if outHeight != height {
            plane = resampleColumns(plane, width: outWidth, inHeight: height, weights: vertical)
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: plane.map(byteValue))
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

/// Rounds to the nearest byte value, clamped to 0…255.
private func byteValue(_ value: Float) -> UInt8 {
    UInt8(clamping: Int((value + 0.5).rounded(.down)))
}

/// For each output index: the first input index and the weights of the inputs from there on.
struct ResampleWeights {
    var starts: [Int] = []
    var weights: [[Float]] = []

    init(inSize: Int, outSize: Int, antialias: Bool) {
        let scale = Double(inSize) / Double(outSize)
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
                weights.append(w.map(Float.init))
            } else {
                let position = min(max(center - 0.5, 0), Double(inSize - 1))
                let left = min(Int(position), inSize - 1)
                let fraction = position - Double(left)
                if left + 1 < inSize {
                    starts.append(left)
                    weights.append([Float(1 - fraction), Float(fraction)])
                } else {
                    starts.append(left)
                    weights.append([1])
                }
            }
        }
    }
}

/// Resamples each row of an interleaved RGB plane from `inWidth` to `weights.starts.count` columns.
private func resampleRows(_ plane: [Float], rows: Int, inWidth: Int, weights: ResampleWeights,
                          roundToBytes: Bool) -> [Float] {
    let outWidth = weights.starts.count
    var out = [Float](repeating: 0, count: rows * outWidth * 3)
    plane.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<rows {
                let row = y * inWidth * 3
                for x in 0..<outWidth {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for (k, w) in weights.weights[x].enumerated() {
                        let p = row + (weights.starts[x] + k) * 3
                        r += w * src[p]; g += w * src[p + 1]; b += w * src[p + 2]
                    }
                    let q = (y * outWidth + x) * 3
                    if roundToBytes {
                        dst[q] = Float(byteValue(r)); dst[q + 1] = Float(byteValue(g)); dst[q + 2] = Float(byteValue(b))
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
private func resampleColumns(_ plane: [Float], width: Int, inHeight: Int, weights: ResampleWeights) -> [Float] {
    let outHeight = weights.starts.count
    let rowLength = width * 3
    var out = [Float](repeating: 0, count: outHeight * rowLength)
    plane.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<outHeight {
                let target = y * rowLength
                for (k, w) in weights.weights[y].enumerated() {
                    let source = (weights.starts[y] + k) * rowLength
                    for i in 0..<rowLength { dst[target + i] += w * src[source + i] }
                }
            }
        }
    }
    return out
}
