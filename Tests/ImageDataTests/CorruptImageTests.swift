import Foundation
import ImageData
import Testing

/// Every damaged or hostile input must throw `ImageError` — never crash, hang or print.
/// Each case is built in memory from a good fixture (or a tiny generated one).
enum Corruption: String, CaseIterable, CustomTestStringConvertible {
    case empty, randomBytes, jpegSignatureThenRandomBytes, pngSignatureThenRandomBytes
    case jpegTruncatedAt10Percent, jpegTruncatedAt50Percent, jpegTruncatedAt99Percent
    case progressiveJPEGTruncatedAt50Percent, jpegWithoutEndMarker
    case pngTruncatedAt10Percent, pngTruncatedAt50Percent, pngTruncatedAt99Percent
    case pngBadIDATChecksum, pngBadIHDRChecksum, pngWithoutEndChunk
    case pngHeaderClaims100000x100000, jpegHeaderClaims65000x65000
    case textFileNamedJPG

    var testDescription: String { rawValue }

    /// The bytes and the file name they pretend to have.
    func make() throws -> (bytes: Data, name: String) {
        let jpeg = try ImageFixtures.bytes("jpeg/chelsea_q95.jpg")
        let png = try ImageFixtures.bytes("png/rgb8.png")
        func prefix(_ data: Data, _ percent: Int) -> Data { data.prefix(data.count * percent / 100) }
        switch self {
        case .empty: return (Data(), "empty.jpg")
        case .randomBytes: return (Self.random(count: 4096), "random.png")
        case .jpegSignatureThenRandomBytes: return (Data([0xFF, 0xD8, 0xFF]) + Self.random(count: 4096), "noise.jpg")
        case .pngSignatureThenRandomBytes: return (png.prefix(8) + Self.random(count: 4096), "noise.png")
        case .jpegTruncatedAt10Percent: return (prefix(jpeg, 10), "cut10.jpg")
        case .jpegTruncatedAt50Percent: return (prefix(jpeg, 50), "cut50.jpg")
        case .jpegTruncatedAt99Percent: return (prefix(jpeg, 99), "cut99.jpg")
        case .progressiveJPEGTruncatedAt50Percent:
            return (prefix(try ImageFixtures.bytes("jpeg/coffee_progressive.jpg"), 50), "progressive-cut50.jpg")
        case .jpegWithoutEndMarker: return (jpeg.dropLast(2), "no-eoi.jpg")
        case .pngTruncatedAt10Percent: return (prefix(png, 10), "cut10.png")
        case .pngTruncatedAt50Percent: return (prefix(png, 50), "cut50.png")
        case .pngTruncatedAt99Percent: return (prefix(png, 99), "cut99.png")
        case .pngBadIDATChecksum: return (try Self.flippingChecksum(of: "IDAT", in: png), "bad-idat-crc.png")
        case .pngBadIHDRChecksum: return (try Self.flippingChecksum(of: "IHDR", in: png), "bad-ihdr-crc.png")
        case .pngWithoutEndChunk: return (png.dropLast(12), "no-iend.png")
        case .pngHeaderClaims100000x100000: return (try ImageFixtures.bytes("corrupt/huge_header.png"), "huge.png")
        case .jpegHeaderClaims65000x65000: return (try Self.settingFrameSize(of: jpeg, to: 65000), "huge.jpg")
        case .textFileNamedJPG: return (Data("just some text, not a photo\n".utf8), "notes.jpg")
        }
    }

    /// Deterministic noise (a 64-bit LCG), so failures reproduce.
    static func random(count: Int) -> Data {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return Data((0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        })
    }

    /// Flips one bit of the CRC that follows the first chunk of `type`.
    static func flippingChecksum(of type: String, in png: Data) throws -> Data {
        var bytes = [UInt8](png)
        let tag = Array(type.utf8)
        let at = try #require((8..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == tag })
        let length = bytes[(at - 4)..<at].reduce(0) { $0 << 8 | Int($1) }
        bytes[at + 4 + length] ^= 0x01
        return Data(bytes)
    }

    /// Rewrites the SOF0/SOF2 frame header's height and width.
    static func settingFrameSize(of jpeg: Data, to size: Int) throws -> Data {
        var bytes = [UInt8](jpeg)
        let sof = try #require((2..<(bytes.count - 9)).first { bytes[$0] == 0xFF && (bytes[$0 + 1] == 0xC0 || bytes[$0 + 1] == 0xC2) })
        for offset in [sof + 5, sof + 7] {
            bytes[offset] = UInt8(size >> 8)
            bytes[offset + 1] = UInt8(size & 0xFF)
        }
        return Data(bytes)
    }
}

struct CorruptImageTests {
    @Test(arguments: Corruption.allCases)
    func corruptImageThrowsImageErrorNamingTheFile(_ corruption: Corruption) throws {
        let (bytes, name) = try corruption.make()
        do {
            let image = try ImageDecoder().decode(bytes, name: name)
            Issue.record("decoded \(image.width)x\(image.height) from \(corruption)")
        } catch {
            #expect(error.path == name)
            #expect(error.description.contains(name) && !error.description.contains("\n"))
        }
    }

    @Test func hugeHeadersAreRefusedByTheLimitNotTheLibrary() throws {
        for corruption in [Corruption.pngHeaderClaims100000x100000, .jpegHeaderClaims65000x65000] {
            let (bytes, name) = try corruption.make()
            #expect(throws: ImageError.tooManyPixels(path: name, width: corruption == .jpegHeaderClaims65000x65000 ? 65000 : 100_000,
                                                     height: corruption == .jpegHeaderClaims65000x65000 ? 65000 : 100_000,
                                                     limit: ImageDecoder.defaultMaxPixels)) {
                try ImageDecoder().decode(bytes, name: name)
            }
        }
    }

    @Test func textAndEmptyFilesOnDiskGiveSpecificErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graft-corrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("photo.jpg")
        try Data("hello".utf8).write(to: text)
        #expect(throws: ImageError.unknownFormat(path: text.path, firstBytes: "68 65 6C 6C 6F")) {
            try ImageDecoder().decode(contentsOf: text)
        }
        let empty = folder.appendingPathComponent("empty.png")
        try Data().write(to: empty)
        #expect(throws: ImageError.empty(path: empty.path)) { try ImageDecoder().decode(contentsOf: empty) }
        let missing = folder.appendingPathComponent("missing.png")
        #expect(throws: ImageError.unreadable(path: missing.path, reason: "no such file")) {
            try ImageDecoder().decode(contentsOf: missing)
        }
    }
}
