/// The four elementwise arithmetic ops.
enum BinaryOperator: Sendable {
    case add, sub, mul, div

    @inline(__always)
    func callAsFunction(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        switch self {
        case .add: a + b
        case .sub: a - b
        case .mul: a * b
        case .div: a / b
        }
    }

    @inline(__always)
    func callAsFunction(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: a + b
        case .sub: a - b
        case .mul: a * b
        case .div: a / b
        }
    }
}

/// `out = op(a, b)` with NumPy broadcasting, then an activation.
///
/// Layout contract: `a`, `b` and `out` are given as physical shapes of one
/// rank in the same physical axis order (the planner permutes constants and
/// pads ranks with 1s); an axis of size 1 in `a` or `b` broadcasts.
struct BinaryKernel: Kernel {
    let op: BinaryOperator
    let activation: Activation
    /// Coalesced output dims and element strides of a and b (0 = broadcast).
    let dims: [Int], stridesA: [Int], stridesB: [Int]
    let count: Int

    init(op: BinaryOperator, a: [Int], b: [Int], out: [Int], activation: Activation = .none) {
        self.op = op
        self.activation = activation
        let sa = zip(rowMajorStrides(a), a).map { $1 == 1 ? 0 : $0 }
        let sb = zip(rowMajorStrides(b), b).map { $1 == 1 ? 0 : $0 }
        // Merge neighbouring axes that both operands walk the same way.
        var d: [Int] = [], da: [Int] = [], db: [Int] = []
        for i in out.indices where out[i] != 1 {
            if let last = d.last, da.last! == sa[i] * out[i], db.last! == sb[i] * out[i] {
                d[d.count - 1] = last * out[i]
                da[da.count - 1] = sa[i]
                db[db.count - 1] = sb[i]
            } else {
                d.append(out[i]); da.append(sa[i]); db.append(sb[i])
            }
        }
        if d.isEmpty { d = [1]; da = [0]; db = [0] }
        dims = d; stridesA = da; stridesB = db
        count = out.reduce(1, *)
    }

    func run(_ inputs: [UnsafeMutablePointer<Float>], _ output: UnsafeMutablePointer<Float>) {
        let a = inputs[0], b = inputs[1]
        let inner = dims.last!, ia = stridesA.last!, ib = stridesB.last!
        let outerDims = Array(dims.dropLast())
        let outerCount = outerDims.reduce(1, *)
        let rowsPerTask = max(1, 8192 / max(inner, 1))
        Parallel.forRanges((outerCount + rowsPerTask - 1) / rowsPerTask, work: count) { tasks in
            for row in (tasks.lowerBound * rowsPerTask)..<min(tasks.upperBound * rowsPerTask, outerCount) {
                // Offsets of this outer row in a and b.
                var rest = row, offA = 0, offB = 0
                for axis in stride(from: outerDims.count - 1, through: 0, by: -1) {
                    let i = rest % outerDims[axis]
                    rest /= outerDims[axis]
                    offA += i * stridesA[axis]
                    offB += i * stridesB[axis]
                }
                let dst = output + row * inner
                innerLoop(a + offA, ia, b + offB, ib, dst, inner)
                activation.apply(dst, inner)
            }
        }
    }

    @inline(__always)
    private func innerLoop(_ a: UnsafeMutablePointer<Float>, _ ia: Int, _ b: UnsafeMutablePointer<Float>, _ ib: Int,
                           _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), rd = UnsafeMutableRawPointer(dst)
        var j = 0
        if ia == 1 && ib == 1 {
            while j + 16 <= n {
                let r = op(ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self),
                           rb.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self))
                rd.storeBytes(of: r, toByteOffset: j * 4, as: SIMD16<Float>.self)
                j += 16
            }
        } else if ia == 1 && ib == 0 {
            let vb = SIMD16<Float>(repeating: b[0])
            while j + 16 <= n {
                rd.storeBytes(of: op(ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self), vb),
                              toByteOffset: j * 4, as: SIMD16<Float>.self)
                j += 16
            }
        } else if ia == 0 && ib == 1 {
            let va = SIMD16<Float>(repeating: a[0])
            while j + 16 <= n {
                rd.storeBytes(of: op(va, rb.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)),
                              toByteOffset: j * 4, as: SIMD16<Float>.self)
                j += 16
            }
        }
        while j < n {
            dst[j] = op(a[j * ia], b[j * ib])
            j += 1
        }
    }
}
