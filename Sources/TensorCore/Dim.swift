/// One dimension of a value's shape: a known size, or a named symbol such as
/// the batch dimension `N` whose size is only known at run time.
public enum Dim: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .known(value) }

    case known(Int)
    case symbol(String)

    public var value: Int? {
        if case let .known(n) = self { return n }
        return nil
    }

    public var description: String {
        switch self {
        case let .known(n): "\(n)"
        case let .symbol(s): s
        }
    }
}

/// The shape of a value in the graph, possibly with symbolic dimensions.
public struct Shape: Sendable, Hashable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dims: [Dim]

    public init(_ dims: [Dim]) { self.dims = dims }
    public init(known: [Int]) { self.dims = known.map(Dim.known) }
    public init(arrayLiteral elements: Int...) { self.dims = elements.map(Dim.known) }

    public var rank: Int { dims.count }

    /// The sizes when every dimension is known, else `nil`.
    public var knownSizes: [Int]? {
        var sizes: [Int] = []
        sizes.reserveCapacity(dims.count)
        for d in dims {
            guard let n = d.value else { return nil }
            sizes.append(n)
        }
        return sizes
    }

    public subscript(i: Int) -> Dim {
        get { dims[i] }
        set { dims[i] = newValue }
    }

    /// `[N, 3, 224, 224]`.
    public var description: String { "[" + dims.map(\.description).joined(separator: ", ") + "]" }
}
