/// The encoded formats ImageData decodes, recognised by their first bytes (never the extension).
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png

    /// JPEG starts with SOI and a marker (`FF D8 FF`); PNG with its 8-byte signature.
    public static func detect<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ImageFormat? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }
}
