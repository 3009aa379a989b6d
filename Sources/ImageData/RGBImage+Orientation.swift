extension RGBImage {
    /// The image as it should be displayed, given the EXIF orientation of its stored pixels.
    /// Orientations 5–8 swap width and height.
    public func oriented(_ orientation: ExifOrientation) -> RGBImage {
        if orientation == .up { return self }
        let w = width, h = height
        let swaps = orientation.rawValue >= 5
        let outWidth = swaps ? h : w, outHeight = swaps ? w : h
        /// Source column and row of output pixel (x, y).
        let source: (Int, Int) -> (Int, Int)
        switch orientation {
        case .up: source = { ($0, $1) }
        case .mirrored: source = { (w - 1 - $0, $1) }
        case .rotated180: source = { (w - 1 - $0, h - 1 - $1) }
        case .flippedVertically: source = { ($0, h - 1 - $1) }
        case .transposed: source = { ($1, $0) }
        case .rotated90Clockwise: source = { ($1, h - 1 - $0) }
        case .transversed: source = { (w - 1 - $1, h - 1 - $0) }
        case .rotated90CounterClockwise: source = { (w - 1 - $1, $0) }
        }
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                let (sx, sy) = source(x, y)
                let from = (sy * w + sx) * 3, to = (y * outWidth + x) * 3
                out[to] = pixels[from]
                out[to + 1] = pixels[from + 1]
                out[to + 2] = pixels[from + 2]
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }
}
