/// How a value's elements sit in memory: `order[i]` is the logical axis stored
/// at physical axis `i` (row-major over the physical axes). `[0, 1, 2, 3]` is
/// the IR's NCHW; `[0, 2, 3, 1]` stores a logical NCHW value as NHWC.
struct Layout: Equatable, Hashable, CustomStringConvertible {
    var order: [Int]

    static func identity(_ rank: Int) -> Layout { Layout(order: Array(0..<rank)) }
    /// NHWC storage of a logical NCHW value.
    static let nhwc = Layout(order: [0, 2, 3, 1])

    var isIdentity: Bool { order == Array(0..<order.count) }
    var rank: Int { order.count }

    /// The physical dimensions of a value with logical `shape`.
    func physical(_ shape: [Int]) -> [Int] { order.map { shape[$0] } }

    /// The physical axis that holds logical axis `axis`.
    func physicalAxis(of axis: Int) -> Int { order.firstIndex(of: axis)! }

    /// Whether a value of `shape` has the same bytes in `self` and `other`
    /// (the axes longer than 1 appear in the same order).
    func sameBytes(as other: Layout, shape: [Int]) -> Bool {
        order.filter { shape[$0] != 1 } == other.order.filter { shape[$0] != 1 }
    }

    /// The layout of `transpose(perm)` applied to a value stored in `self`: no copy needed.
    func transposed(by perm: [Int]) -> Layout {
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return Layout(order: order.map { inverse[$0] })
    }

    var description: String { order == [0, 2, 3, 1] ? "NHWC" : isIdentity ? "row-major" : "\(order)" }
}

/// Row-major strides of `shape`.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}
