import Foundation

/// Decodes JPEG and PNG files to `RGBImage`, chosen by the file's first bytes.
///
/// Contract: any image the decoder returns is RGB8 in display orientation (EXIF applied);
/// anything it cannot decode throws `ImageError` naming the file. It never prints and
/// never allocates pixel memory for a header that claims more than `maxPixels`.
public struct ImageDecoder: Sendable {
    /// The default pixel limit: 100 megapixels (300 MB of RGB).
    public static let defaultMaxPixels = 100_000_000

    /// Largest `width * height` accepted; checked against the header before decoding.
    public var maxPixels: Int

    public init(maxPixels: Int = ImageDecoder.defaultMaxPixels) {
        self.maxPixels = maxPixels
    }

    /// Reads and decodes the file at `url`.
    public func decode(contentsOf url: URL) throws(ImageError) -> RGBImage {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path)
                ? "\(error.localizedDescription)" : "no such file"
            throw .unreadable(path: url.path, reason: reason)
        }
        return try decode(data, name: url.path)
    }

    /// Decodes encoded bytes; `name` stands for the file in errors.
    public func decode(_ data: Data, name: String) throws(ImageError) -> RGBImage {
        guard !data.isEmpty else { throw .empty(path: name) }
        guard let format = ImageFormat.detect(data) else {
            let hex = data.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw .unknownFormat(path: name, firstBytes: hex)
        }
        let result: Result<RGBImage, ImageError> = data.withUnsafeBytes { bytes in
            switch format {
            case .jpeg: Result { () throws(ImageError) in try JPEGDecoding.decode(bytes, name: name, maxPixels: maxPixels) }
            case .png: Result { () throws(ImageError) in try PNGDecoding.decode(bytes, name: name, maxPixels: maxPixels) }
            }
        }
        return try result.get()
    }
}

/// Throws unless `width * height` is within `limit`.
func checkPixelCount(width: Int, height: Int, limit: Int, name: String) throws(ImageError) {
    let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
    if overflow || pixels > limit {
        throw .tooManyPixels(path: name, width: width, height: height, limit: limit)
    }
}

/// A NUL-terminated buffer the C codecs write their message into.
struct CodecMessage {
    static let capacity = 256
    var bytes = [CChar](repeating: 0, count: capacity)

    var text: String {
        let utf8 = bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: utf8, as: UTF8.self)
        return text.isEmpty ? "unknown error" : text
    }
}
