import Foundation
import GraphIR
import ImageData
import Testing

/// Whole recipes on `jpeg/coffee_progressive.jpg` against tensors made by `make_fixtures.py`
/// from Pillow's decode of the same file. A ±2 JPEG difference and a ±1 resize difference
/// give at most 3 / std per element.
struct ImagePreprocessorTests {
    static let image = ImageFixtures.url("jpeg/coffee_progressive.jpg")

    @Test(arguments: [
        ("size=24,resize=shorter:32,mean=123.675/116.28/103.53,std=58.395/57.12/57.375", "shorter32_crop24", Float(3 / 57.12)),
        ("size=24,resize=32x32,order=bgr,mean=104/117/123", "stretch32_crop24_bgr", Float(3)),
        ("size=24x20,antialias=no,mean=127,std=128", "plain24x20", Float(3.0 / 128)),
    ])
    func recipeMatchesReference(_ option: String, _ reference: String, _ tolerance: Float) throws {
        let preprocessor = try ImagePreprocessor(try Preprocessing(option: option))
        let tensor = try preprocessor.tensor(forFilesAt: [Self.image])
        let expected = try ImageFixtures.reference("preprocess/\(reference).npy")
        #expect(tensor.shape == expected.shape)
        #expect(try #require(maxDifference(tensor.scalars, expected.scalars)) <= tolerance)
    }

    @Test func batchKeepsFileOrderAndMatchesSingleImages() throws {
        let preprocessor = try ImagePreprocessor(PreprocessingPreset.efficientNetLite.preprocessing)
        let files = ["jpeg/chelsea_q95.jpg", "png/rgba8.png", "jpeg/astronaut_gray.jpg", "png/palette4_trns.png", "jpeg/orientation_6.jpg"]
            .map(ImageFixtures.url)
        let batch = try preprocessor.tensor(forFilesAt: files)
        #expect(batch.shape == [5, 3, 224, 224])
        let perImage = 3 * 224 * 224
        let all = batch.scalars
        for (i, file) in files.enumerated() {
            let single = try preprocessor.tensor(forFilesAt: [file]).scalars
            #expect(Array(all[(i * perImage)..<((i + 1) * perImage)]) == single, "image \(i)")
        }
    }

    @Test func decodedImagesGiveTheSameTensorAsFiles() throws {
        let preprocessor = try ImagePreprocessor(PreprocessingPreset.openNSFW.preprocessing)
        let decoded = try ImageDecoder().decode(contentsOf: Self.image)
        #expect(preprocessor.tensor(for: [decoded]).scalars == (try preprocessor.tensor(forFilesAt: [Self.image])).scalars)
    }

    @Test func normalisationAndChannelOrderAreApplied() throws {
        // One pixel, R=10 G=20 B=30, 1 x 1 input: no resampling effects.
        let pixel = RGBImage(width: 1, height: 1, pixels: [10, 20, 30])
        let bgr = try ImagePreprocessor(Preprocessing(size: [1, 1], channelOrder: .bgr, mean: [1, 2, 3], std: [1, 2, 4]))
        #expect(bgr.tensor(for: [pixel]).scalars == [29, 9, 1.75])
        let keras = try ImagePreprocessor(PreprocessingPreset.kerasMobileNetV2.preprocessing)
        let scaled = keras.tensor(for: [RGBImage(width: 1, height: 1, pixels: [0, 255, 127])]).scalars
        #expect(scaled.prefix(1) == [-1] && abs(scaled[224 * 224] - 1) < 1e-6)
    }

    @Test func firstFailingFileInOrderIsReported() throws {
        let preprocessor = try ImagePreprocessor(PreprocessingPreset.efficientNetLite.preprocessing)
        let missing = ImageFixtures.url("jpeg/does-not-exist.jpg")
        let text = ImageFixtures.url("make_fixtures.py")
        do {
            _ = try preprocessor.tensor(forFilesAt: [ImageFixtures.url("png/rgb8.png"), missing, text])
            Issue.record("expected an error")
        } catch {
            #expect(error.path == missing.path)
            guard case .unreadable = error else { Issue.record("wrong case \(error)"); return }
        }
    }

    @Test func emptyBatchGivesAnEmptyTensor() throws {
        let preprocessor = try ImagePreprocessor(PreprocessingPreset.torchvisionImageNet.preprocessing)
        #expect(try preprocessor.tensor(forFilesAt: []).shape == [0, 3, 224, 224])
    }

    @Test(arguments: PreprocessingPreset.allCases)
    func presetsAreValidAndRunOnARealImage(_ preset: PreprocessingPreset) throws {
        let preprocessor = try ImagePreprocessor(preset.preprocessing)
        let tensor = try preprocessor.tensor(forFilesAt: [ImageFixtures.url("jpeg/chelsea_q95.jpg")])
        #expect(tensor.shape == [1, 3] + preset.preprocessing.size)
        #expect(tensor.scalars.allSatisfy { $0.isFinite })
    }
}
