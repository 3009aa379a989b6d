import Foundation
import ImageData
import TestSupport

/// Paths and reference arrays under `Tests/ImageDataTests/Fixtures` (made by `make_fixtures.py`).
enum ImageFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ relativePath: String) -> URL { folder.appendingPathComponent(relativePath) }

    static func reference(_ relativePath: String) throws -> NPYArray {
        try NPYArray(contentsOf: url(relativePath))
    }

    static func bytes(_ relativePath: String) throws -> Data { try Data(contentsOf: url(relativePath)) }
}

/// Largest absolute difference between an image and a `[H, W, 3]` reference; nil when the shapes differ.
func maxDifference(_ image: RGBImage, _ reference: NPYArray) -> Float? {
    guard reference.shape == [image.height, image.width, 3] else { return nil }
    return zip(image.pixels, reference.scalars).map { abs(Float($0) - $1) }.max() ?? 0
}

/// Largest absolute difference between two float sequences of equal length; nil otherwise.
func maxDifference(_ a: [Float], _ b: [Float]) -> Float? {
    guard a.count == b.count else { return nil }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
