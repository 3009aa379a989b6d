/// Hands out names not used before: `base`, or `base_1`, `base_2`, … when taken.
public struct UniqueNames: Sendable {
    private var used: Set<String>

    public init(reserving names: some Sequence<String> = [String]()) {
        used = Set(names)
    }

    /// Marks `name` as taken without asking for it.
    public mutating func reserve(_ name: String) {
        used.insert(name)
    }

    public mutating func claim(_ base: String) -> String {
        var name = base
        var n = 0
        while used.contains(name) {
            n += 1
            name = "\(base)_\(n)"
        }
        used.insert(name)
        return name
    }
}
