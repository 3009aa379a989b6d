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
        var hasher = Hasher()
        source.withUnsafeBytes { hasher.combine(bytes: $0) }
        let key = key + " #\(source.count) \(hasher.finalize())"
        lock.lock()
        defer { lock.unlock() }
        if let b = buffers[key] { return b }
        let b = FloatBuffer(make())
        buffers[key] = b
        return b
    }
}
