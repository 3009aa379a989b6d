import TensorCore

/// The elements of a small integer tensor as far as they are known before run
/// time: shape subgraphs (`Shape → Gather → Concat → Reshape → Pad`) compute
/// pads and target shapes from the input's shape, whose batch size is only a
/// symbol. Each element is a known number or that symbol.
public struct KnownValue: Sendable, Equatable {
    public var shape: [Int]
    public var elements: [Dim]

    public init(shape: [Int], elements: [Dim]) {
        precondition(shape.reduce(1, *) == elements.count)
        self.shape = shape
        self.elements = elements
    }

    /// A value that is fully known, from an integer tensor.
    public init(_ tensor: Tensor) {
        self.shape = tensor.shape
        self.elements = tensor.int64s.map { .known(Int($0)) }
    }

    /// The numbers, when every element is known.
    public var ints: [Int]? {
        var out: [Int] = []
        out.reserveCapacity(elements.count)
        for e in elements {
            guard let v = e.value else { return nil }
            out.append(v)
        }
        return out
    }

    /// Largest integer tensor whose elements are tracked.
    static let maxTrackedElements = 64
}
