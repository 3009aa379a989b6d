/// The names closest to a misspelt one, for "did you mean" lists.
///
/// A candidate that starts with (or contains) the query comes first; the rest
/// are ranked by Levenshtein distance, case-insensitively. Candidates farther
/// than half the query's length (at least 3 edits) are left out.
public enum NameSuggestions {
    public static func closest(to query: String, in candidates: some Sequence<String>, limit: Int = 5) -> [String] {
        let q = Array(query.lowercased())
        let maxDistance = max(3, q.count / 2)
        var scored: [(score: Int, name: String)] = []
        for name in Set(candidates) {
            let lower = name.lowercased()
            if lower.hasPrefix(query.lowercased()) { scored.append((-2, name)); continue }
            if !query.isEmpty, lower.contains(query.lowercased()) { scored.append((-1, name)); continue }
            let d = distance(q, Array(lower))
            if d <= maxDistance { scored.append((d, name)) }
        }
        return scored.sorted { ($0.score, $0.name.count, $0.name) < ($1.score, $1.name.count, $1.name) }
            .prefix(limit).map(\.name)
    }

    /// Levenshtein distance (insert, delete, substitute each cost 1).
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
