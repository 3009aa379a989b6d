@testable import ImageData
import Testing

/// EXIF parsing on hand-built segments: malformed blocks give nil, never a crash.
struct ExifOrientationTests {
    /// SOI, one APP1 segment holding `tiff` after "Exif\0\0", then SOS.
    static func jpeg(withTIFF tiff: [UInt8], segmentLength: Int? = nil) -> [UInt8] {
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = segmentLength ?? payload.count + 2
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + [0xFF, 0xDA]
    }

    /// Little-endian TIFF with IFD0 at offset 8 holding one entry.
    static func tiff(tag: UInt16 = 0x0112, type: UInt16 = 3, count: UInt32 = 1, value: UInt16 = 6,
                     ifdOffset: UInt32 = 8) -> [UInt8] {
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        return [0x49, 0x49] + le16(42) + le32(ifdOffset) + le16(1)
            + le16(tag) + le16(type) + le32(count) + le16(value) + [0, 0] + le32(0)
    }

    static func orientation(_ bytes: [UInt8]) -> ExifOrientation? {
        bytes.withUnsafeBufferPointer { ExifOrientation(jpeg: $0) }
    }

    @Test func readsLittleEndianOrientation() {
        #expect(Self.orientation(Self.jpeg(withTIFF: Self.tiff(value: 6))) == .rotated90Clockwise)
    }

    @Test func readsBigEndianOrientation() {
        let tiff: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0]
        #expect(Self.orientation(Self.jpeg(withTIFF: tiff)) == .rotated90CounterClockwise)
    }

    @Test(arguments: [
        ("IFD offset past the end", tiff(ifdOffset: 4000)),
        ("orientation 0", tiff(value: 0)),
        ("orientation 9", tiff(value: 9)),
        ("orientation stored as LONG", tiff(type: 4)),
        ("two values", tiff(count: 2)),
        ("no orientation tag", tiff(tag: 0x010F)),
        ("truncated TIFF", Array(tiff().prefix(11))),
        ("not TIFF", [0x58, 0x58, 42, 0, 8, 0, 0, 0]),
    ] as [(String, [UInt8])])
    func malformedExifMeansNoOrientation(_ label: String, _ tiff: [UInt8]) {
        #expect(Self.orientation(Self.jpeg(withTIFF: tiff)) == nil, "\(label)")
    }

    @Test func segmentLengthPastTheEndIsIgnored() {
        #expect(Self.orientation(Self.jpeg(withTIFF: Self.tiff(), segmentLength: 60000)) == nil)
    }

    @Test func orientationsMatchTheirDefinition() {
        // 2 x 1 image: red, green.
        let image = RGBImage(width: 2, height: 1, pixels: [255, 0, 0, 0, 255, 0])
        #expect(image.oriented(.mirrored).pixels == [0, 255, 0, 255, 0, 0])
        let clockwise = image.oriented(.rotated90Clockwise)
        #expect(clockwise.width == 1 && clockwise.height == 2 && clockwise.pixels == [255, 0, 0, 0, 255, 0])
        let counter = image.oriented(.rotated90CounterClockwise)
        #expect(counter.pixels == [0, 255, 0, 255, 0, 0])
        for orientation in ExifOrientation.allCases {
            let size = image.oriented(orientation)
            #expect(size.width * size.height == 2)
        }
    }
}
