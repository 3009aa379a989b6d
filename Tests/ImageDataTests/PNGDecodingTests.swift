import ImageData
import Testing

/// PNG decoding must be exact: the expected pixels come from the arrays the fixtures were
/// encoded from (16-bit rounded to 8, low bit depths replicated, alpha composited on white).
struct PNGDecodingTests {
    @Test(arguments: ["rgb8", "rgba8", "gray8", "gray_alpha8", "rgb16", "rgba16", "gray16",
                      "gray1", "gray2", "gray4", "gray8_trns", "palette4_trns", "palette8"])
    func decodedPixelsAreExact(_ name: String) throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.url("png/\(name).png"))
        let reference = try ImageFixtures.reference("png/\(name).npy")
        #expect(maxDifference(image, reference) == 0)
    }
}
