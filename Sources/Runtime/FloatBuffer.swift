import Foundation

/// A fixed block of 64-byte aligned `Float`s with a stable address: plan
/// buffers and constants that kernels read through raw pointers.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// `count` zeroed floats.
    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }
}

/// Packed weights and constants shared by every plan of one `ExecutionPlan`
/// (the per-core plans of a batch run image by image, and plans for other
/// batch sizes), so each weight lives in memory and in the L3 cache once.
final class WeightCache: @unchecked Sendable {
    private var buffers: [String: FloatBuffer] = [:]
    private let lock = NSLock()

    /// The buffer stored under `key` and `source`'s contents, or `make()`'s values
    /// stored under them. `key` names the node, the operation and the sizes; the
    /// source values are hashed too, so constants folded differently for another
    /// batch size never share a buffer.
    func buffer(_ key: String, source: [Float], _ make: () -> [Float]) -> FloatBuffer {
        let key = key + " #\(source.count) \(source.withUnsafeBytes(Self.contentHash))"
        lock.lock()
        defer { lock.unlock() }
        if let b = buffers[key] { return b }
        let b = FloatBuffer(make())
        buffers[key] = b
        return b
    }

    /// A 64-bit hash of the bytes, four multiply-rotate lanes over 8-byte words (several
    /// GB/s; `Hasher`'s SipHash was 1.5% of a `graft train` profile, run once per plan and weight).
    static func contentHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let prime1: UInt64 = 0x9E37_79B1_85EB_CA87, prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        func mix(_ lane: UInt64, _ word: UInt64) -> UInt64 {
            let x = lane &+ word &* prime2
            return ((x << 31) | (x >> 33)) &* prime1
        }
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (prime1, prime2, 0, 0 &- prime1)
        let words = bytes.count / 32 * 4
        var i = 0
        while i < words {
            let at = i * 8
            lanes.0 = mix(lanes.0, bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            lanes.1 = mix(lanes.1, bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
            lanes.2 = mix(lanes.2, bytes.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self))
            lanes.3 = mix(lanes.3, bytes.loadUnaligned(fromByteOffset: at + 24, as: UInt64.self))
            i += 4
        }
        var h = UInt64(bytes.count) &* prime1
        for lane in [lanes.0, lanes.1, lanes.2, lanes.3] { h = mix(h, lane) }
        for at in stride(from: words * 8, to: bytes.count, by: 1) { h = mix(h, UInt64(bytes[at])) }
        h ^= h >> 29
        return h &* prime2 ^ (h >> 32)
    }
}
