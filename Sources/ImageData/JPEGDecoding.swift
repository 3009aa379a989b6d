import CImageCodecs

/// JPEG → RGB8 through libjpeg-turbo: gray and YCbCr are converted by the library,
/// CMYK/YCCK here; EXIF orientation from the APP1 segment is applied last.
enum JPEGDecoding {
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, maxPixels: Int) throws(ImageError) -> RGBImage {
        let data = bytes.bindMemory(to: UInt8.self)
        var message = CodecMessage()
        var header = graft_jpeg_header()
        let headerStatus = message.bytes.withUnsafeMutableBufferPointer {
            graft_jpeg_read_header(data.baseAddress, data.count, &header, $0.baseAddress, $0.count)
        }
        guard headerStatus == 0 else { throw .corrupt(path: name, format: .jpeg, detail: message.text) }
        let width = Int(header.width), height = Int(header.height)
        try checkPixelCount(width: width, height: height, limit: maxPixels, name: name)

        let channels = header.is_cmyk != 0 ? 4 : 3
        var decoded = [UInt8](repeating: 0, count: width * height * channels)
        let status = decoded.withUnsafeMutableBufferPointer { pixels in
            message.bytes.withUnsafeMutableBufferPointer {
                graft_jpeg_decode(data.baseAddress, data.count, Int32(channels),
                                  pixels.baseAddress, pixels.count, $0.baseAddress, $0.count)
            }
        }
        guard status == 0 else { throw .corrupt(path: name, format: .jpeg, detail: message.text) }

        let rgb = channels == 4
            ? rgbFromCMYK(decoded, inverted: header.adobe_marker != 0)
            : decoded
        let image = RGBImage(width: width, height: height, pixels: rgb)
        let orientation = ExifOrientation(jpeg: data) ?? .up
        return image.oriented(orientation)
    }

    /// Naive CMYK → RGB: `R = (255 - C)(255 - K) / 255`, rounded. Adobe files store
    /// every CMYK sample inverted (`255 - ink`), so there `R = C' K' / 255`.
    static func rgbFromCMYK(_ cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        /// `255 - ink`: how much of the paper's white a sample lets through.
        func paper(_ sample: UInt8) -> Int { inverted ? Int(sample) : 255 - Int(sample) }
        let count = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            let white = paper(cmyk[i * 4 + 3])
            for c in 0..<3 {
                rgb[i * 3 + c] = UInt8((paper(cmyk[i * 4 + c]) * white + 127) / 255)
            }
        }
        return rgb
    }
}
