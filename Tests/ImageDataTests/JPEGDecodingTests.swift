import Foundation
import ImageData
import Testing

/// JPEG decoding against Pillow's decoded pixels. Pillow bundles its own libjpeg-turbo;
/// IDCT and upsampling differences allow ±2 per sample.
struct JPEGDecodingTests {
    static let jpegTolerance: Float = 2

    @Test(arguments: ["chelsea_q30", "chelsea_q75", "chelsea_q95", "chelsea_q90_444",
                      "coffee_progressive", "astronaut_gray", "coffee_cmyk"])
    func decodedPixelsMatchPillow(_ name: String) throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.url("jpeg/\(name).jpg"))
        let reference = try ImageFixtures.reference("jpeg/\(name).npy")
        let difference = try #require(maxDifference(image, reference), "shape \(image.width)x\(image.height) vs \(reference.shape)")
        #expect(difference <= Self.jpegTolerance)
    }

    @Test(arguments: 1...8)
    func exifOrientationIsApplied(_ orientation: Int) throws {
        let url = ImageFixtures.url("jpeg/orientation_\(orientation).jpg")
        let bytes = try Data(contentsOf: url)
        let found = bytes.withUnsafeBytes { ExifOrientation(jpeg: $0.bindMemory(to: UInt8.self)) }
        #expect(found?.rawValue == orientation)
        let image = try ImageDecoder().decode(contentsOf: url)
        let reference = try ImageFixtures.reference("jpeg/orientation_\(orientation).npy")
        let difference = try #require(maxDifference(image, reference), "shape \(image.width)x\(image.height) vs \(reference.shape)")
        #expect(difference <= Self.jpegTolerance)
    }

    @Test func formatIsDetectedByContentNotExtension() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let misnamed = folder.appendingPathComponent("actually-a-jpeg.png")
        try FileManager.default.copyItem(at: ImageFixtures.url("jpeg/chelsea_q95.jpg"), to: misnamed)
        let image = try ImageDecoder().decode(contentsOf: misnamed)
        #expect(image.width == 48 && image.height == 32)
    }

    @Test func pixelLimitIsCheckedBeforeDecoding() throws {
        let decoder = ImageDecoder(maxPixels: 48 * 32 - 1)
        #expect(throws: ImageError.tooManyPixels(path: "small.jpg", width: 48, height: 32, limit: 48 * 32 - 1)) {
            try decoder.decode(try ImageFixtures.bytes("jpeg/chelsea_q95.jpg"), name: "small.jpg")
        }
        #expect(try ImageDecoder(maxPixels: 48 * 32).decode(try ImageFixtures.bytes("jpeg/chelsea_q95.jpg"), name: "ok").width == 48)
    }
}
