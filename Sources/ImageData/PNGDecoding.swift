import CImageCodecs

/// PNG → RGB8 through libpng: every colour type and bit depth is expanded to RGBA8
/// (16-bit samples rounded to 8 bits, tRNS turned into alpha), then alpha is
/// composited on white, so transparent areas look as they do in a viewer.
enum PNGDecoding {
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, maxPixels: Int) throws(ImageError) -> RGBImage {
        let data = bytes.bindMemory(to: UInt8.self)
        var message = CodecMessage()
        var header = graft_png_header()
        let headerStatus = message.bytes.withUnsafeMutableBufferPointer {
            graft_png_read_header(data.baseAddress, data.count, &header, $0.baseAddress, $0.count)
        }
        guard headerStatus == 0 else { throw .corrupt(path: name, format: .png, detail: message.text) }
        let width = Int(header.width), height = Int(header.height)
        try checkPixelCount(width: width, height: height, limit: maxPixels, name: name)

        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let status = rgba.withUnsafeMutableBufferPointer { pixels in
            message.bytes.withUnsafeMutableBufferPointer {
                graft_png_decode_rgba8(data.baseAddress, data.count,
                                       pixels.baseAddress, pixels.count, $0.baseAddress, $0.count)
            }
        }
        guard status == 0 else { throw .corrupt(path: name, format: .png, detail: message.text) }
        return RGBImage(width: width, height: height, pixels: compositedOnWhite(rgba))
    }

    /// `out = (c * a + 255 * (255 - a)) / 255`, rounded; opaque pixels are unchanged.
    static func compositedOnWhite(_ rgba: [UInt8]) -> [UInt8] {
        let count = rgba.count / 4
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            let alpha = Int(rgba[i * 4 + 3])
            for c in 0..<3 {
                let value = Int(rgba[i * 4 + c])
                rgb[i * 3 + c] = alpha == 255
                    ? UInt8(value)
                    : UInt8((value * alpha + 255 * (255 - alpha) + 127) / 255)
            }
        }
        return rgb
    }
}
