extension RGBImage {
    /// The `width`×`height` window at the centre; the top-left offset is
    /// `((self.width - width) / 2, (self.height - height) / 2)`, rounded down.
    public func centreCropped(width cropWidth: Int, height cropHeight: Int) -> RGBImage {
        precondition(cropWidth > 0 && cropHeight > 0 && cropWidth <= width && cropHeight <= height,
                     "crop \(cropWidth)x\(cropHeight) from \(width)x\(height)")
        if cropWidth == width && cropHeight == height { return self }
        let left = (width - cropWidth) / 2, top = (height - cropHeight) / 2
        var out = [UInt8]()
        out.reserveCapacity(cropWidth * cropHeight * 3)
        for y in top..<(top + cropHeight) {
            let start = (y * width + left) * 3
            out.append(contentsOf: pixels[start..<(start + cropWidth * 3)])
        }
        return RGBImage(width: cropWidth, height: cropHeight, pixels: out)
    }
}
