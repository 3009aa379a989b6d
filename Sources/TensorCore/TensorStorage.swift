#if canImport(Glibc)
import Glibc
#endif

/// The bytes behind a tensor.
///
/// Either owned (allocated here and freed on deinit) or borrowed from memory
/// that `owner` keeps alive — a memory-mapped file or a decoded protobuf
/// message — so that large weights are read without a copy.
public final class TensorStorage: @unchecked Sendable {
    /// Read-only view of the bytes. Aligned to at least 16 bytes when owned.
    public let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject?
    private let owned: Bool

    /// Allocates `byteCount` zeroed bytes.
    public init(zeroedByteCount byteCount: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
        bytes = UnsafeRawBufferPointer(start: raw, count: byteCount)
        owner = nil
        owned = true
    }

    /// Copies `source` into new owned memory.
    public convenience init(copying source: UnsafeRawBufferPointer) {
        self.init(zeroedByteCount: source.count)
        if let base = source.baseAddress, source.count > 0 {
            UnsafeMutableRawPointer(mutating: bytes.baseAddress!).copyMemory(from: base, byteCount: source.count)
        }
    }

    /// Borrows `bytes`; `owner` must keep them valid and unchanged for this storage's lifetime.
    public init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = bytes
        self.owner = owner
        self.owned = false
    }

    /// Whether the bytes live in memory owned by this storage (and may be mutated in place).
    public var isOwned: Bool { owned }

    /// Mutable access; only for owned storage.
    public var mutableBytes: UnsafeMutableRawBufferPointer {
        precondition(owned, "borrowed tensor storage is read-only")
        return UnsafeMutableRawBufferPointer(mutating: bytes)
    }

    deinit {
        if owned { bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).deallocate() } }
    }
}
