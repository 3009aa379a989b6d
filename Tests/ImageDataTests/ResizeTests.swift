import ImageData
import Testing

/// Resizing `png/rgb8.png` (40 x 30) against Pillow (`BILINEAR`, antialiased) and skimage
/// (`order=1, anti_aliasing=False, mode="edge"`). Tolerance: ±1 per sample (Pillow works in
/// fixed point; skimage's float result is compared after our rounding).
struct ResizeTests {
    static let sizes: [(width: Int, height: Int)] = [(17, 11), (20, 15), (9, 30), (73, 50)]

    static func source() throws -> RGBImage {
        try ImageDecoder().decode(contentsOf: ImageFixtures.url("png/rgb8.png"))
    }

    @Test(arguments: sizes.indices)
    func antialiasedBilinearMatchesPillow(_ index: Int) throws {
        let (width, height) = Self.sizes[index]
        let resized = try Self.source().resized(width: width, height: height, antialias: true)
        let reference = try ImageFixtures.reference("resize/pil_bilinear_\(width)x\(height).npy")
        #expect(try #require(maxDifference(resized, reference)) <= 1)
    }

    @Test(arguments: sizes.indices)
    func plainBilinearMatchesSkimage(_ index: Int) throws {
        let (width, height) = Self.sizes[index]
        let resized = try Self.source().resized(width: width, height: height, antialias: false)
        let reference = try ImageFixtures.reference("resize/skimage_linear_\(width)x\(height).npy")
        #expect(try #require(maxDifference(resized, reference)) <= 1)
    }

    @Test func sameSizeIsIdentity() throws {
        let image = try Self.source()
        #expect(image.resized(width: 40, height: 30) == image)
    }

    @Test func shorterSideKeepsAspectAndTruncates() throws {
        let image = try Self.source() // 40 x 30
        let resized = image.resized(shorterSide: 16)
        #expect(resized.height == 16 && resized.width == 21) // 16 * 40 / 30 = 21.33
        let tall = image.oriented(.rotated90Clockwise).resized(shorterSide: 16)
        #expect(tall.width == 16 && tall.height == 21)
    }

    @Test func centreCropTakesTheMiddle() {
        // 4 x 1 image with pixel values 0, 1, 2, 3 in every channel.
        let image = RGBImage(width: 4, height: 1, pixels: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(image.centreCropped(width: 2, height: 1).pixels == [1, 1, 1, 2, 2, 2])
        #expect(image.centreCropped(width: 3, height: 1).pixels == [0, 0, 0, 1, 1, 1, 2, 2, 2])
    }

    @Test func uniformImageStaysUniform() {
        let image = RGBImage(width: 7, height: 5, pixels: [UInt8](repeating: 200, count: 7 * 5 * 3))
        for antialias in [true, false] {
            #expect(image.resized(width: 3, height: 11, antialias: antialias).pixels.allSatisfy { $0 == 200 })
        }
    }
}
