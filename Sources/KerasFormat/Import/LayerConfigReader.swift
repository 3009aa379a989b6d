/// Typed access to a layer's `config` dictionary; every failure names the
/// layer, its class and the key.
struct LayerConfigReader {
    var layer: KerasLayerConfig

    private func fail(_ key: String, _ reason: String) -> KerasImportError {
        .badLayerConfig(layer: layer.name, className: layer.className, key: key, reason: reason)
    }

    func value(_ key: String) -> JSONValue? {
        guard let v = layer.config[key], !v.isNull else { return nil }
        return v
    }

    func int(_ key: String, default fallback: Int? = nil) throws(KerasImportError) -> Int {
        guard let v = value(key) else {
            if let fallback { return fallback }
            throw fail(key, "is missing")
        }
        guard let n = v.int else { throw fail(key, "should be an integer") }
        return n
    }

    func double(_ key: String, default fallback: Double? = nil) throws(KerasImportError) -> Double {
        guard let v = value(key) else {
            if let fallback { return fallback }
            throw fail(key, "is missing")
        }
        guard let n = v.number else { throw fail(key, "should be a number") }
        return n
    }

    func optionalDouble(_ key: String) throws(KerasImportError) -> Double? {
        guard value(key) != nil else { return nil }
        return try double(key)
    }

    func bool(_ key: String, default fallback: Bool) throws(KerasImportError) -> Bool {
        guard let v = value(key) else { return fallback }
        guard let b = v.bool else { throw fail(key, "should be true or false") }
        return b
    }

    func string(_ key: String, default fallback: String? = nil) throws(KerasImportError) -> String {
        guard let v = value(key) else {
            if let fallback { return fallback }
            throw fail(key, "is missing")
        }
        guard let s = v.string else { throw fail(key, "should be a string") }
        return s
    }

    /// An integer or a list of integers, as `[Int]` of `count` elements (`3` → `[3, 3]`).
    func ints(_ key: String, count: Int, default fallback: [Int]? = nil) throws(KerasImportError) -> [Int] {
        guard let v = value(key) else {
            if let fallback { return fallback }
            throw fail(key, "is missing")
        }
        if let n = v.int { return Array(repeating: n, count: count) }
        guard let items = v.array, items.count == count else { throw fail(key, "should be an integer or \(count) integers") }
        var result: [Int] = []
        for item in items {
            guard let n = item.int else { throw fail(key, "should hold integers") }
            result.append(n)
        }
        return result
    }

    /// `padding`: "same" or "valid" (anything else is refused).
    func padding() throws(KerasImportError) -> Bool {
        switch try string("padding", default: "valid").lowercased() {
        case "same": return true
        case "valid": return false
        case let other: throw fail("padding", "'\(other)' is not supported (only 'same' and 'valid')")
        }
    }

    /// Graft reads channels-last models only.
    func requireChannelsLast() throws(KerasImportError) {
        let format = try string("data_format", default: "channels_last")
        guard format == "channels_last" else { throw fail("data_format", "'\(format)' is not supported (only channels_last)") }
    }

    func badValue(_ key: String, _ reason: String) -> KerasImportError { fail(key, reason) }
}
