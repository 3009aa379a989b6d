import Foundation
import Testing
@testable import ImageData

/// A `width`×`height` image whose pixel (x, y) is (x, y, (x * 7 + y * 13) % 256): every
/// pixel says where it came from, so a crop or flip can be checked exactly.
private func coordinateImage(width: Int = 40, height: Int = 30) -> RGBImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
        for x in 0..<width { pixels += [UInt8(x), UInt8(y), UInt8((x * 7 + y * 13) % 256)] }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

private func grey(_ value: UInt8, width: Int = 12, height: Int = 10) -> RGBImage {
    RGBImage(width: width, height: height, pixels: [UInt8](repeating: value, count: width * height * 3))
}

@Test func theSameSeedGivesTheSameBytesAndOtherSeedsDiffer() {
    let image = coordinateImage()
    let a = Augmentation()
    #expect(a.apply(to: image, seed: 7) == a.apply(to: image, seed: 7))
    let outputs = Set((0..<20).map { a.apply(to: image, seed: UInt64($0)).pixels })
    #expect(outputs.count == 20)
}

@Test func everythingOffIsTheIdentity() {
    let image = coordinateImage()
    #expect(Augmentation.identity.isIdentity)
    #expect(!Augmentation().isIdentity)
    for seed: UInt64 in 0..<10 { #expect(Augmentation.identity.apply(to: image, seed: seed) == image) }
    let noFlip = Augmentation(flip: true, flipProbability: 0, cropArea: nil, brightness: 0, contrast: 0, saturation: 0)
    #expect(noFlip.apply(to: image, seed: 3) == image)
}

@Test func aFlipMirrorsEveryRowExactly() {
    let image = coordinateImage()
    let flipOnly = Augmentation(flip: true, flipProbability: 1, cropArea: nil, brightness: 0, contrast: 0, saturation: 0)
    let out = flipOnly.apply(to: image, seed: 1)
    for y in 0..<image.height {
        for x in 0..<image.width {
            for c in 0..<3 { #expect(out[x, y, c] == image[image.width - 1 - x, y, c]) }
        }
    }
    #expect(out.flippedHorizontally() == image)
    // With p = 0.5 about half of the seeds flip.
    let half = Augmentation(flip: true, cropArea: nil, brightness: 0, contrast: 0, saturation: 0)
    let flips = (0..<200).filter { half.draw(width: 4, height: 4, seed: UInt64($0)).flipped }.count
    #expect((70...130).contains(flips))
}

@Test func cropsStayInsideTheImageWithinTheAreaAndAspectRanges() {
    let image = coordinateImage(width: 40, height: 30)
    let cropOnly = Augmentation(flip: false, brightness: 0, contrast: 0, saturation: 0)
    var sizes = Set<Int>()
    for seed: UInt64 in 0..<100 {
        let d = cropOnly.draw(width: 40, height: 30, seed: seed)
        #expect(d.x >= 0 && d.y >= 0 && d.x + d.width <= 40 && d.y + d.height <= 30)
        // Rounding each side to whole pixels moves the area and ratio a little.
        let area = Double(d.width * d.height) / 1200
        #expect(area >= 0.6 - 0.05 && area <= 1.0, "area \(area) at seed \(seed)")
        let ratio = Double(d.width) / Double(d.height)
        #expect(ratio >= 0.75 - 0.05 && ratio <= 4.0 / 3.0 + 0.05, "ratio \(ratio) at seed \(seed)")
        let out = cropOnly.apply(to: image, seed: seed)
        #expect(out.width == d.width && out.height == d.height)
        // The pixels are the source window's, untouched.
        #expect(out[0, 0, 0] == UInt8(d.x) && out[0, 0, 1] == UInt8(d.y))
        #expect(out == image.cropped(x: d.x, y: d.y, width: d.width, height: d.height))
        sizes.insert(d.width * 100 + d.height)
    }
    #expect(sizes.count > 10, "the crop size varies")
}

@Test func aCropThatCannotFitFallsBackToACentredWindowWithinTheAspectRange() {
    // 100×2: no window of 60% of the area has a ratio ≤ 4/3.
    let cropOnly = Augmentation(flip: false, brightness: 0, contrast: 0, saturation: 0)
    let d = cropOnly.draw(width: 100, height: 2, seed: 5)
    #expect(d.height == 2 && d.width == 3 && d.x == 48 && d.y == 0)
}

@Test func jitterFactorsStayInTheirRanges() {
    let a = Augmentation(flip: false, cropArea: nil, brightness: 0.1, contrast: 0.2, saturation: 0.3)
    for seed: UInt64 in 0..<200 {
        let d = a.draw(width: 8, height: 8, seed: seed)
        #expect(d.brightness >= 0.9 && d.brightness <= 1.1)
        #expect(d.contrast >= 0.8 && d.contrast <= 1.2)
        #expect(d.saturation >= 0.7 && d.saturation <= 1.3)
        #expect(!d.flipped && d.x == 0 && d.y == 0 && d.width == 8 && d.height == 8)
    }
}

@Test func brightnessScalesAndGreyIsUnchangedByContrastAndSaturation() {
    let brightnessOnly = Augmentation(flip: false, cropArea: nil, brightness: 0.1, contrast: 0, saturation: 0)
    for seed: UInt64 in 0..<50 {
        let b = brightnessOnly.draw(width: 12, height: 10, seed: seed).brightness
        let out = brightnessOnly.apply(to: grey(100), seed: seed)
        let want = UInt8((100 * b + 0.5).rounded(.down))
        #expect(out.pixels.allSatisfy { $0 == want }, "seed \(seed): \(out.pixels[0]) vs \(want)")
        #expect((90...110).contains(out.pixels[0]))
    }
    // A uniform grey image has no contrast or saturation to change.
    let colourOnly = Augmentation(flip: false, cropArea: nil, brightness: 0, contrast: 0.5, saturation: 0.5)
    for seed: UInt64 in 0..<20 { #expect(colourOnly.apply(to: grey(77), seed: seed) == grey(77)) }
}

@Test func contrastAndSaturationMoveColoursTowardsOrAwayFromGrey() {
    // Two pixels: red and blue.
    let image = RGBImage(width: 2, height: 1, pixels: [200, 0, 0, 0, 0, 200])
    let lowSaturation = RGBImage(width: 2, height: 1, pixels: image.pixels).colourJittered(brightness: 1, contrast: 1, saturation: 0)
    // saturation 0: each pixel becomes its grey, 0.299 · 200 and 0.114 · 200.
    #expect(lowSaturation.pixels == [60, 60, 60, 23, 23, 23])
    let flat = image.colourJittered(brightness: 1, contrast: 0, saturation: 1)
    // contrast 0: every value becomes the mean grey (59.8 + 22.8) / 2 = 41.3.
    #expect(flat.pixels == [41, 41, 41, 41, 41, 41])
}

@Test func augmentationRoundTripsThroughJSON() throws {
    let a = Augmentation(flip: false, cropArea: 0.5...0.9, brightness: 0.2)
    let back = try JSONDecoder().decode(Augmentation.self, from: JSONEncoder().encode(a))
    #expect(back == a)
    #expect(Augmentation.identity != Augmentation())
}
