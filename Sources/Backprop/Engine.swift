import GraphIR
import TensorCore

/// One value of the trailing subgraph at run time.
///
/// `shape` is the logical NCHW shape. A rank-4 value may be stored channel-major
/// (`cnhw`: physically `[C, N, H, W]`), so that a 1×1 convolution over the whole
/// batch is one GEMM and each channel is one contiguous row.
final class Slot {
    var shape: [Int] = []
    var cnhw = false
    let data = FloatBuffer()
    /// The gradient, in the same layout as `data`; allocated for values that need one.
    var grad: FloatBuffer?
    /// No gradient written yet during the current backward: the first writer may assign.
    var gradFresh = true
    var needsGrad = false
    var isParameter = false
    /// Int64 values of a constant input (reshape target, pads), when it is one.
    var ints: [Int64]?

    var count: Int { shape.reduce(1, *) }

    /// The physical dims: `[C, N, H, W]` for a channel-major value, else `shape`.
    var physicalShape: [Int] { cnhw ? [shape[1], shape[0], shape[2], shape[3]] : shape }
}

/// What kernels see: the slots, layout conversions and gradient targets.
final class Engine {
    var slots: [Slot] = []
    var training = false
    /// Scratch buffers for layout conversions and kernel temporaries, one per key. Keys are
    /// shared between kernels: a scratch result is only valid within the kernel call that asked.
    private var scratch: [Int: FloatBuffer] = [:]

    private func scratchBuffer(_ key: Int, _ count: Int) -> UnsafeMutablePointer<Float> {
        if let b = scratch[key] { return b.ensure(count) }
        let b = FloatBuffer(count)
        scratch[key] = b
        return b.pointer
    }

    /// Sets the output's shape and layout and returns its storage.
    func output(_ v: Int, shape: [Int], cnhw: Bool) -> UnsafeMutablePointer<Float> {
        let s = slots[v]
        s.shape = shape
        s.cnhw = cnhw && shape.count == 4
        return s.data.ensure(max(s.count, 1))
    }

    /// The data of `v` in the requested layout (`cnhw` only applies to rank 4),
    /// converted into scratch `key` when it is stored the other way.
    func data(_ v: Int, cnhw wanted: Bool, key: Int) -> UnsafePointer<Float> {
        let s = slots[v]
        let want = wanted && s.shape.count == 4
        if s.cnhw == want { return UnsafePointer(s.data.pointer) }
        let d = scratchBuffer(key, s.count)
        let (n, c) = (s.shape[0], s.shape[1]), inner = s.shape[2] * s.shape[3]
        if want { swapLeadingAxes(s.data.pointer, d, a: n, b: c, inner: inner) }
        else { swapLeadingAxes(s.data.pointer, d, a: c, b: n, inner: inner) }
        return UnsafePointer(d)
    }

    /// The gradient of `v` (`dLoss/dv`) in the requested layout; valid during backward.
    func grad(_ v: Int, cnhw wanted: Bool, key: Int) -> UnsafePointer<Float> {
        let s = slots[v]
        let g = s.grad!.pointer
        if s.gradFresh { g.initialize(repeating: 0, count: s.count); s.gradFresh = false }
        let want = wanted && s.shape.count == 4
        if s.cnhw == want { return UnsafePointer(g) }
        let d = scratchBuffer(key, s.count)
        let (n, c) = (s.shape[0], s.shape[1]), inner = s.shape[2] * s.shape[3]
        if want { swapLeadingAxes(g, d, a: n, b: c, inner: inner) } else { swapLeadingAxes(g, d, a: c, b: n, inner: inner) }
        return UnsafePointer(d)
    }

    /// Where a kernel writes `dLoss/dv` in `v`'s own layout. `assign` is true when the
    /// kernel may overwrite (nothing accumulated yet); it must then write every element.
    func gradTarget(_ v: Int) -> (UnsafeMutablePointer<Float>, assign: Bool) {
        let s = slots[v]
        let fresh = s.gradFresh
        s.gradFresh = false
        return (s.grad!.pointer, fresh)
    }

    /// Where a kernel accumulates (`+=`) `dLoss/dv` in `v`'s own layout (zeroed first if fresh).
    func gradAccumulator(_ v: Int) -> UnsafeMutablePointer<Float> {
        let (p, fresh) = gradTarget(v)
        if fresh { p.initialize(repeating: 0, count: slots[v].count) }
        return p
    }

    /// Adds `src`, laid out as `srcCNHW`, to the gradient of `v`.
    func addGrad(_ v: Int, _ src: UnsafePointer<Float>, srcCNHW: Bool) {
        let s = slots[v]
        let (g, fresh) = gradTarget(v)
        let same = s.cnhw == (srcCNHW && s.shape.count == 4)
        if same { accumulate(g, src, s.count, assign: fresh); return }
        if fresh { g.initialize(repeating: 0, count: s.count) }
        let (n, c) = (s.shape[0], s.shape[1]), inner = s.shape[2] * s.shape[3]
        if srcCNHW { swapLeadingAxes(src, g, a: c, b: n, inner: inner, accumulateInto: true) }
        else { swapLeadingAxes(src, g, a: n, b: c, inner: inner, accumulateInto: true) }
    }

    /// A scratch buffer owned by a kernel (stable between forward and backward).
    func buffer(_ key: Int, _ count: Int) -> UnsafeMutablePointer<Float> { scratchBuffer(key, count) }
}

/// One node's forward and backward.
protocol Kernel: AnyObject {
    /// Computes the outputs from the inputs (`engine.training` says which mode).
    func forward(_ e: Engine) throws
    /// Given the output gradient, adds input gradients for inputs with `needsGrad`
    /// (parameter gradients included).
    func backward(_ e: Engine) throws
}

/// Shared description of a node for kernels: names for errors, slot indices.
struct NodeRef {
    var name: String
    var op: String
    var inputs: [Int]   // -1 for absent optional inputs
    var outputs: [Int]

    func error(_ reason: String, hint: String = "") -> BackpropError {
        BackpropError(node: name, op: op, reason, hint: hint)
    }
}
