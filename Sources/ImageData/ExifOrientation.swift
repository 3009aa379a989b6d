/// The EXIF `Orientation` tag (0x0112): how the stored pixels must be transformed
/// to be displayed upright. Raw values follow the EXIF specification.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case up = 1, mirrored = 2, rotated180 = 3, flippedVertically = 4
    case transposed = 5, rotated90Clockwise = 6, transversed = 7, rotated90CounterClockwise = 8

    /// The orientation in a JPEG's `APP1` "Exif" segment, or nil when there is none or the
    /// segment is malformed (a bad EXIF block never makes an image unreadable).
    public init?(jpeg bytes: UnsafeBufferPointer<UInt8>) {
        guard let tiff = Self.exifPayload(inJPEG: bytes),
              let value = Self.orientationValue(inTIFF: tiff),
              let orientation = ExifOrientation(rawValue: value) else { return nil }
        self = orientation
    }

    /// Walks the marker segments before the first scan; returns the TIFF block after "Exif\0\0".
    static func exifPayload(inJPEG bytes: UnsafeBufferPointer<UInt8>) -> Slice<UnsafeBufferPointer<UInt8>>? {
        let exifHeader: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]
        var i = 2
        while i + 4 <= bytes.count {
            guard bytes[i] == 0xFF else { return nil }
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { return nil }
            let payload = bytes[(i + 4)..<(i + 2 + length)]
            if marker == 0xE1, payload.starts(with: exifHeader) {
                return payload.dropFirst(exifHeader.count)
            }
            i += 2 + length
        }
        return nil
    }

    /// Reads tag 0x0112 from IFD0 of a TIFF block; every offset is bounds-checked.
    static func orientationValue(inTIFF tiff: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        let base = tiff.startIndex
        let count = tiff.count
        guard count >= 8 else { return nil }
        let littleEndian: Bool
        switch (tiff[base], tiff[base + 1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func u16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= count else { return nil }
            let a = Int(tiff[base + offset]), b = Int(tiff[base + offset + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ offset: Int) -> Int? {
            guard let low = u16(offset + (littleEndian ? 0 : 2)),
                  let high = u16(offset + (littleEndian ? 2 : 0)) else { return nil }
            return high << 16 | low
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for entry in 0..<entries {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at), let type = u16(at + 2), let n = u32(at + 4) else { return nil }
            if tag == 0x0112 {
                guard type == 3, n == 1 else { return nil }
                return u16(at + 8)
            }
        }
        return nil
    }
}
