import Foundation

/// Limited-memory BFGS for a smooth convex objective `f: ℝⁿ → ℝ` (Nocedal 1980; the
/// two-loop recursion is Algorithm 7.4 of Nocedal & Wright, *Numerical Optimization*),
/// with a backtracking line search on the Armijo condition.
///
/// The whole solver is this value — the point, its objective and gradient, and the last
/// `memory` correction pairs — so a run continued from a decoded copy takes exactly the
/// steps of one that never stopped.
public struct LBFGS: Sendable, Codable, Equatable {
    /// Correction pairs kept.
    public var memory: Int
    public private(set) var point: [Double]
    public private(set) var value: Double
    public private(set) var gradient: [Double]
    /// The last `memory` steps `s = x₊ − x` and gradient changes `y = ∇f(x₊) − ∇f(x)`, oldest first.
    public private(set) var steps: [[Double]] = []
    public private(set) var changes: [[Double]] = []
    /// Iterations done, and evaluations of `f` (the first one included).
    public private(set) var iterations = 0
    public private(set) var evaluations = 1

    /// Starts at `point`, where `f` is `value` with gradient `gradient`.
    public init(point: [Double], value: Double, gradient: [Double], memory: Int = 10) {
        precondition(point.count == gradient.count && memory >= 1)
        self.point = point
        self.value = value
        self.gradient = gradient
        self.memory = memory
    }

    /// The largest gradient component `‖∇f(x)‖∞`.
    public var largestGradient: Double { gradient.reduce(0) { max($0, abs($1)) } }

    /// One iteration: the quasi-Newton direction `d = −H ∇f` from the two-loop recursion
    /// (`H₀ = (sᵀy / yᵀy) I` from the newest pair; without pairs, steepest descent scaled
    /// to unit length), then step lengths 1, ½, ¼, … until
    /// `f(x + t d) ≤ f(x) + 10⁻⁴ · t · ∇f(x)ᵀd`. A pair is kept only when `sᵀy > 10⁻¹⁰ · yᵀy`
    /// (always, for a strictly convex `f`), so `H` stays positive definite.
    ///
    /// Returns false, leaving the solver where it was, when no step length down to 2⁻⁴⁰
    /// decreases `f` or `f` is not finite there (`x` is a minimum to the precision of `f`).
    public mutating func iterate(_ f: ([Double]) -> (value: Double, gradient: [Double])) -> Bool {
        let n = point.count
        var d = gradient
        var alphas = [Double](repeating: 0, count: steps.count)
        for i in steps.indices.reversed() {
            let rho = 1 / dot(changes[i], steps[i])
            alphas[i] = rho * dot(steps[i], d)
            axpy(-alphas[i], changes[i], &d)
        }
        let scale: Double
        if let s = steps.last, let y = changes.last {
            scale = dot(s, y) / dot(y, y)
        } else {
            scale = 1 / max(dot(gradient, gradient).squareRoot(), 1)
        }
        for i in 0..<n { d[i] *= -scale }
        for i in steps.indices {
            let rho = 1 / dot(changes[i], steps[i])
            let beta = rho * dot(changes[i], d)
            axpy(-alphas[i] - beta, steps[i], &d)
        }
        var slope = dot(gradient, d)
        if !(slope < 0) {
            // Not a descent direction (rounding in a flat region): restart from steepest descent.
            steps.removeAll(); changes.removeAll()
            let s = 1 / max(dot(gradient, gradient).squareRoot(), 1)
            d = gradient.map { -s * $0 }
            slope = dot(gradient, d)
            guard slope < 0 else { return false }
        }
        var t = 1.0
        for _ in 0...40 {
            var candidate = point
            axpy(t, d, &candidate)
            let (v, g) = f(candidate)
            evaluations += 1
            if v.isFinite, v <= value + 1e-4 * t * slope {
                var s = candidate, y = g
                for i in 0..<n { s[i] -= point[i]; y[i] -= gradient[i] }
                if dot(s, y) > 1e-10 * dot(y, y) {
                    steps.append(s); changes.append(y)
                    if steps.count > memory { steps.removeFirst(); changes.removeFirst() }
                }
                point = candidate; value = v; gradient = g
                iterations += 1
                return true
            }
            t *= 0.5
        }
        return false
    }
}

extension LBFGS {
    private enum CodingKeys: String, CodingKey { case memory, point, value, gradient, steps, changes, iterations, evaluations }

    // The vectors are stored as the little-endian bytes of their Doubles (base64 in JSON):
    // the same bits back, at an eighth of the size and time of decimal text (10 pairs of
    // 12 810 weights are 2 MB this way).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        memory = try c.decode(Int.self, forKey: .memory)
        value = try c.decode(Double.self, forKey: .value)
        iterations = try c.decode(Int.self, forKey: .iterations)
        evaluations = try c.decode(Int.self, forKey: .evaluations)
        func vector(_ data: Data) throws -> [Double] {
            guard data.count % 8 == 0 else {
                throw DecodingError.dataCorruptedError(forKey: .point, in: c, debugDescription: "\(data.count) bytes is not a whole number of Doubles")
            }
            return stride(from: 0, to: data.count, by: 8).map { i in
                Double(bitPattern: data[data.startIndex + i..<data.startIndex + i + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) })
            }
        }
        point = try vector(c.decode(Data.self, forKey: .point))
        gradient = try vector(c.decode(Data.self, forKey: .gradient))
        steps = try c.decode([Data].self, forKey: .steps).map(vector)
        changes = try c.decode([Data].self, forKey: .changes).map(vector)
        guard gradient.count == point.count, steps.count == changes.count, steps.count <= memory,
              (steps + changes).allSatisfy({ $0.count == point.count }) else {
            throw DecodingError.dataCorruptedError(forKey: .steps, in: c, debugDescription: "L-BFGS vectors of different lengths")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func bytes(_ v: [Double]) -> Data {
            var d = Data(capacity: v.count * 8)
            for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
            return d
        }
        try c.encode(memory, forKey: .memory)
        try c.encode(value, forKey: .value)
        try c.encode(iterations, forKey: .iterations)
        try c.encode(evaluations, forKey: .evaluations)
        try c.encode(bytes(point), forKey: .point)
        try c.encode(bytes(gradient), forKey: .gradient)
        try c.encode(steps.map(bytes), forKey: .steps)
        try c.encode(changes.map(bytes), forKey: .changes)
    }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double { DoubleBLAS.dot(a, b) }

/// `y += a · x`.
private func axpy(_ a: Double, _ x: [Double], _ y: inout [Double]) { DoubleBLAS.axpy(a, x, &y) }
